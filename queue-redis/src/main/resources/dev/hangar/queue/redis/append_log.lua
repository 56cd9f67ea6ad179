-- A = id, attempt, stream, data, most chunks kept
-- Returns {1, {}, change}, or {0} if the job is unknown or final (late output is dropped).
local id, keep = A[1], tonumber(A[5])
local j = redis.call('HMGET', jobKey(id), 'state', 'truncated')
local state = j[1]
if not state or FINAL[state] then return {0} end
local seq = redis.call('HINCRBY', jobKey(id), 'logSeq', 1)
redis.call('XADD', logKey(id), 'MAXLEN', keep, '0-' .. seq, 'attempt', A[2], 'stream', A[3], 'data', A[4])
if seq > keep and j[2] ~= '1' then
  -- the oldest output is gone from now on: the job shows it, and listeners hear of it
  redis.call('HSET', jobKey(id), 'truncated', 1)
  emit('job', id, {'truncated', 1, 'state', state})
end
return {1, {}, emit('log', id)}
