-- A = worker, start (inclusive "-" or exclusive "(id"), count
-- Returns {entry, job id, ...} for the worker's lease entries.
local out = {}
for _, pending in ipairs(inLeaseGroup('XPENDING', LEASES, GROUP, A[2], '+', A[3], A[1])) do
  local message = redis.call('XRANGE', LEASES, pending[1], pending[1])
  out[#out + 1] = pending[1]
  out[#out + 1] = message[1] and message[1][2][2] or ''
end
return out
