-- A = worker, now, leaseMs, freeCpus, freeMemoryMb, freeGpus, scan, n, n runtimes, k, k kernel-boundary runtimes
-- Returns {1, job, change, token} for the job leased (the token is the lease entry id), {} if none fits.
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

-- the most urgent job that fits, looked for a page at a time: usually the first one does
local READY = P .. ':ready'
local PAGE = 16
local picked, chosen
local start, looked = 0, 0
while not picked and looked < scan do
  local asked = math.min(PAGE, scan - looked)
  local ids = redis.call('ZRANGE', READY, start, start + asked - 1)
  local gone = 0
  for _, id in ipairs(ids) do
    looked = looked + 1
    local j = redis.call('HMGET', jobKey(id), 'cpus', 'mem', 'gpus', 'pin', 'untrusted', 'seq', 'attempt', 'deliveries')
    if not j[1] then
      unindex(id)
      gone = gone + 1
    elseif tonumber(j[1]) <= freeCpus and tonumber(j[2]) <= freeMemory and tonumber(j[3]) <= freeGpus
        and hasRuntimeFor(j[4], j[5] == '1') then
      picked, chosen = id, j
      break
    end
  end
  if #ids < asked then break end
  -- a job unindexed on the way moved the rest up by one
  start = start + #ids - gone
end
if not picked then return {} end

local entry = redis.call('XADD', LEASES, '*', 'job', picked, 'worker', worker)
claim(entry, worker, time)
-- a new attempt: what the previous one left (node, result, timings) is cleared
local change, view = transition(picked, 'QUEUED', 'SCHEDULED', {'token', entry, 'worker', worker, 'leaseMs', int(leaseMs),
    'leaseUntil', int(now + leaseMs), 'notBefore', '', 'scheduledAt', int(now), 'startingAt', '', 'runningAt', '',
    'sandboxReadyAt', '', 'startPath', '', 'sandboxId', '', 'sandboxCreatedAt', '',
    'finishedAt', '', 'node', '', 'runtime', '', 'selection', '', 'exitCode', '', 'error', '', 'truncated', 0,
    'attempt', int(tonumber(chosen[7]) + 1), 'deliveries', int(tonumber(chosen[8]) + 1)}, chosen[6])
return {1, view, change, entry}
