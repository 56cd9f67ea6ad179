-- A = id, token, state read, cancel read, new state, owner or '', field, value, ...
-- Commits what Java decided (AttemptVerdict) for the job it read under this lease, and ends the
-- lease. Returns {1, job, change}; {0} if the lease is lost (or, with an owner, if its entry is no
-- longer that consumer's, e.g. its worker renewed it meanwhile); {-1} if the job changed since it
-- was read, so the decision must be made again.
local id, token, state, cancel, to, owner = A[1], A[2], A[3], A[4], A[5], A[6]
local j = redis.call('HMGET', jobKey(id), 'token', 'state', 'cancel')
if token == '' or j[1] ~= token then return {0} end
if owner ~= '' then
  local pending = redis.call('XPENDING', LEASES, GROUP, token, token, 1)
  if #pending == 0 or pending[1][2] ~= owner then return {0} end
end
if j[2] ~= state or j[3] ~= cancel then return {-1} end
dropLease(token)
local change = transition(id, state, to, rest(7))
return {1, job(id), change}
