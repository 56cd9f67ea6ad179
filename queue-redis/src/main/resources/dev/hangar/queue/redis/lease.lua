-- A = worker, now, leaseMs, freeCpus, freeMemoryMb, freeGpus, scan, n, n runtimes, k, k kernel-boundary runtimes
-- Returns {1, job, change} for the job leased (its token is the lease entry id), {} if none fits.
local worker, now, leaseMs = A[1], tonumber(A[2]), tonumber(A[3])
local freeCpus, freeMemory, freeGpus, scan = tonumber(A[4]), tonumber(A[5]), tonumber(A[6]), tonumber(A[7])
local runtimes, kernel = {}, {}
local nRuntimes = tonumber(A[8])
for i = 1, nRuntimes do runtimes[A[8 + i]] = true end
local kernelAt = 9 + nRuntimes
local nKernel = tonumber(A[kernelAt])
for i = 1, nKernel do kernel[A[kernelAt + i]] = true end

local time = deliveryTime(now + leaseMs)

-- retries whose backoff is over are due again
for _, id in ipairs(redis.call('ZRANGEBYSCORE', P .. ':delayed', '-inf', int(now), 'LIMIT', 0, 1000)) do
  redis.call('ZREM', P .. ':delayed', id)
  redis.call('ZADD', P .. ':ready', readyScore(id), id)
end

-- LeaseRequest.hasRuntimeFor
local function hasRuntimeFor(pin, untrusted)
  if nRuntimes == 0 then return true end
  if pin ~= '' and not runtimes[pin] then return false end
  if not untrusted then return true end
  if pin == '' then return nKernel > 0 end
  return kernel[pin] == true
end

local picked
for _, id in ipairs(redis.call('ZRANGE', P .. ':ready', 0, scan - 1)) do
  local j = redis.call('HMGET', jobKey(id), 'cpus', 'mem', 'gpus', 'pin', 'untrusted')
  if not j[1] then
    unindex(id)
  elseif tonumber(j[1]) <= freeCpus and tonumber(j[2]) <= freeMemory and tonumber(j[3]) <= freeGpus
      and hasRuntimeFor(j[4], j[5] == '1') then
    picked = id
    break
  end
end
if not picked then return {} end

local entry = redis.call('XADD', LEASES, '*', 'job', picked, 'worker', worker)
claim(entry, worker, time)
redis.call('HINCRBY', jobKey(picked), 'attempt', 1)
redis.call('HINCRBY', jobKey(picked), 'deliveries', 1)
-- a new attempt: what the previous one left (node, result, timings) is cleared
local change = transition(picked, 'QUEUED', 'SCHEDULED', {'token', entry, 'worker', worker, 'leaseMs', int(leaseMs),
    'leaseUntil', int(now + leaseMs), 'notBefore', '', 'scheduledAt', int(now), 'startingAt', '', 'runningAt', '',
    'finishedAt', '', 'node', '', 'runtime', '', 'selection', '', 'exitCode', '', 'error', '', 'truncated', 0})
return {1, job(picked), change}
