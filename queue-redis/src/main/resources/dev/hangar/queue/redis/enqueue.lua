-- A = id, spec, priority, cpus, mem, gpus, pin, untrusted, submittedAt, idempotency key or '',
--     submit entry it came from or '', needs a network ('1' or '0'), image or '',
--     the host paths of its mounts (see MountPolicy.byName) joined by NUL, or '', tenant or '',
--     its node selector as KEY=VALUE pairs (NodeLabels.pairs) joined by commas, or ''
-- The idempotency key is the one scoped to the tenant (JobSpec.idempotencyScope).
-- Returns {1, {}, change} for a new job, {0, job} for the one that was there already (the same
-- idempotency key), {2, job} if this id is taken: ids are made per submit, so this submit was sent
-- again after its reply was lost (or its entry is taken in again), and the job is the one it made;
-- {3} if its submit entry is no longer pending (another process dealt with it).
-- A submit entry is taken off the stream with the job it makes; one that made none is left for the
-- caller, which takes it as a repeat or sets it aside (dead_letter.lua) if its spec is another.
local id, idem, source = A[1], A[10], A[11]

local function taken()
  if source ~= '' then
    redis.call('XACK', P .. ':submit', 'intake', source)
    redis.call('XDEL', P .. ':submit', source)
  end
end

if redis.call('EXISTS', jobKey(id)) == 1 then return {2, job(id)} end
-- an entry no longer pending was taken in or set aside by another process meanwhile (this one was
-- held up past the intake's takeover time): it makes no job here
if source ~= '' and #redis.call('XPENDING', P .. ':submit', 'intake', source, source, 1) == 0 then return {3} end
if idem ~= '' then
  local idemKey = P .. ':idem:' .. idem
  local earlier = redis.call('GET', idemKey)
  if earlier and redis.call('EXISTS', jobKey(earlier)) == 1 then return {0, job(earlier)} end
  -- absent, or left by a job the retention removed a moment ago
  redis.call('SET', idemKey, id)
end

local seq = redis.call('INCR', P .. ':seq')
-- the fields a new job has; the others (lease, timings, result) are absent until set, which reads as unset
redis.call('HSET', jobKey(id), 'id', id, 'spec', A[2], 'priority', A[3], 'seq', seq, 'cpus', A[4], 'mem', A[5],
    'gpus', A[6], 'pin', A[7], 'untrusted', A[8], 'net', A[12], 'image', A[13], 'idem', idem, 'attempt', 0, 'deliveries', 0, 'cancel', 0,
    'submittedAt', A[9], 'truncated', 0, 'finishes', 0, 'logSeq', 0, 'state', 'QUEUED')
if A[14] ~= '' then redis.call('HSET', jobKey(id), 'mounts', A[14]) end
if A[16] ~= '' then redis.call('HSET', jobKey(id), 'sel', A[16]) end
if A[15] ~= '' then
  redis.call('HSET', jobKey(id), 'tenant', A[15])
  redis.call('ZADD', tenantKey(A[15]), seq, id)
end
taken()
-- the indexes a queued job is in (see transition)
redis.call('ZADD', stateKey('QUEUED'), seq, id)
ready(id, A[3], seq, A[6], A[16])
local change = emit('job', id, {'full', 1, 'id', id, 'spec', A[2], 'state', 'QUEUED', 'attempt', 0, 'deliveries', 0,
    'cancel', 0, 'truncated', 0, 'submittedAt', A[9]})
-- the caller knows the job as stored: it is the spec it passed, QUEUED, submitted at A[9]
return {1, {}, change}
