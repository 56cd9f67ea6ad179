-- A = id, token, now
-- Returns {0} lost, {1} held, {2} held but cancel requested, {-1} the lease entry itself is gone.
local id, token, now = A[1], A[2], tonumber(A[3])
local j = redis.call('HMGET', jobKey(id), 'token', 'worker', 'leaseMs', 'cancel')
if token == '' or j[1] ~= token then return {0} end
local deadline = now + tonumber(j[3])
local time = deliveryTime(deadline)
if #claim(token, j[2], time) == 0 then return {-1} end
redis.call('HSET', jobKey(id), 'leaseUntil', int(deadline))
if j[4] == '1' then return {2} end
return {1}
