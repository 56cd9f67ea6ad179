-- A = states; returns how many jobs are in each
local out = {}
for i = 1, #A do out[i] = redis.call('ZCARD', stateKey(A[i])) end
return out
