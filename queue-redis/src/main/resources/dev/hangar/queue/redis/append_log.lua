-- A = id, attempt, stream, data, most chunks kept
-- Returns {1, {}, change}, or {0} if the job is unknown or final (late output is dropped).
local id, keep = A[1], tonumber(A[5])
local state = redis.call('HGET', jobKey(id), 'state')
if not state or FINAL[state] then return {0} end
local seq = redis.call('HINCRBY', jobKey(id), 'logSeq', 1)
redis.call('XADD', logKey(id), 'MAXLEN', keep, '0-' .. seq, 'attempt', A[2], 'stream', A[3], 'data', A[4])
if seq > keep then redis.call('HSET', jobKey(id), 'truncated', 1) end
return {1, {}, emit('log', id)}
