-- A = clock now, cursor, count, reaper consumer
-- Takes over the lease entries whose deadline (by the backend clock) has passed: XAUTOCLAIM with a
-- min-idle of the horizon plus the skew between the Redis clock and the backend clock (see
-- LeaseDeadlines). Returns {next cursor, {entry, job id, ...}}.
local minIdle = HORIZON_MS + (redisNowMs() - tonumber(A[1])) + 1
if minIdle < 1 then
  error({err = 'the clock of this process is ahead of Redis by more than the lease horizon'})
end
local claimed = inLeaseGroup('XAUTOCLAIM', LEASES, GROUP, A[4], int(minIdle), A[2], 'COUNT', A[3], 'JUSTID')
local out = {}
for _, entry in ipairs(claimed[2]) do
  -- claiming made it look fresh: should this process die before it settles the job, the next
  -- sweep (of any process) must find it again
  redis.call('XCLAIM', LEASES, GROUP, A[4], 0, entry, 'TIME', 1, 'JUSTID')
  local message = redis.call('XRANGE', LEASES, entry, entry)
  out[#out + 1] = entry
  out[#out + 1] = message[1] and message[1][2][2] or ''
end
-- entries deleted from the stream while pending: XAUTOCLAIM drops them from the group (Redis 7), due or
-- not, and their jobs would stay leased for good. Each gets a new entry, held by this reaper, with the
-- job's own deadline: one past it is settled as lapsed now; one not past it is found by the sweep after
-- its deadline, its worker (whose token is gone) told LOST at its next renew meanwhile, so that the job
-- never runs on two nodes at once.
for entry, id in pairs(jobsLeasedUnder(claimed[3] or {})) do
  local j = redis.call('HMGET', jobKey(id), 'worker', 'leaseUntil')
  local renewed = redis.call('XADD', LEASES, '*', 'job', id, 'worker', j[1] or '')
  local deadline = tonumber(j[2])
  local lapsed = not deadline or deadline <= tonumber(A[1])
  claim(renewed, A[4], lapsed and 1 or deliveryTime(deadline))
  redis.call('HSET', jobKey(id), 'token', renewed)
  if lapsed then
    out[#out + 1] = renewed
    out[#out + 1] = id
  end
end
return {claimed[1], out}
