-- A = id, token, from state, to state, field, value, ...
-- Moves a leased job one step on (SCHEDULED -> STARTING -> RUNNING). Returns {1, {}, change}, or {0}
-- if the lease is lost or the job is not in the from state.
local id, token, from, to = A[1], A[2], A[3], A[4]
local j = redis.call('HMGET', jobKey(id), 'token', 'state', 'seq')
if token == '' or j[1] ~= token or j[2] ~= from then return {0} end
local change = transition(id, from, to, rest(5), j[3])
return {1, {}, change}
