-- A = worker, start (inclusive "-" or exclusive "(id"), count
-- Returns {entry, job id, ...} for the worker's lease entries.
local out, gone, at = {}, {}, {}
for _, pending in ipairs(inLeaseGroup('XPENDING', LEASES, GROUP, A[2], '+', A[3], A[1])) do
  local message = redis.call('XRANGE', LEASES, pending[1], pending[1])
  out[#out + 1] = pending[1]
  out[#out + 1] = message[1] and message[1][2][2] or ''
  if not message[1] then
    gone[#gone + 1] = pending[1]
    at[pending[1]] = #out
  end
end
-- an entry deleted from the stream while pending (by hand) names no job: its job is found by its token
for entry, id in pairs(jobsLeasedUnder(gone)) do out[at[entry]] = id end
return out
