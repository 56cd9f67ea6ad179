-- A = id, attempt (-1: the job's current one), stream, data, most chunks kept, lease token ('' for none),
--     the chunk's number under that lease (from 1; 0 for none)
-- Returns {1, {}, change}, or {0} if the job is unknown or final, or the token is given and not the
-- job's (the output of a run whose lease was lost): such output is dropped. {1, {}} if the chunk
-- was stored already: 'logChunk' holds the token and number of the last one stored. An entry names
-- the job's attempt and its delivery (the lease whose run wrote it).
local id, keep, token, chunk = A[1], tonumber(A[5]), A[6], tonumber(A[7])
local j = redis.call('HMGET', jobKey(id), 'state', 'truncated', 'token', 'attempt', 'logWrites', 'logChunk', 'deliveries')
local state = j[1]
if not state or FINAL[state] then return {0} end
if token ~= '' and j[3] ~= token then return {0} end
if chunk > 0 then
  local lastToken, last = string.match(j[6] or '', '^(.*) (%d+)$')
  if lastToken == token and tonumber(last) >= chunk then return {1, {}} end
  redis.call('HSET', jobKey(id), 'logChunk', token .. ' ' .. chunk)
end
-- the ids of the last few appends (a job's stdout and stderr may each have one in flight when the
-- connection drops): one sent again is stored once (see resent)
local recent = j[5] or ''
if RID ~= '' then
  if string.find(' ' .. recent .. ' ', ' ' .. RID .. ' ', 1, true) then return {1, {}} end
  recent = string.sub(RID .. ' ' .. recent, 1, 8 * (#RID + 1) - 1)
  redis.call('HSET', jobKey(id), 'logWrites', recent)
end
local attempt = A[2] == '-1' and j[4] or A[2]
local seq = redis.call('HINCRBY', jobKey(id), 'logSeq', 1)
redis.call('XADD', logKey(id), 'MAXLEN', keep, '0-' .. seq, 'attempt', attempt, 'delivery', j[7] or 0, 'stream', A[3],
  'data', A[4])
if seq > keep and j[2] ~= '1' then
  -- the oldest output is gone from now on: the job shows it, and listeners hear of it
  redis.call('HSET', jobKey(id), 'truncated', 1)
  emit('job', id, {'truncated', 1, 'state', state})
end
return {1, {}, emit('log', id)}
