-- A = id, token, states read, cancel read, new state, owner or '', attempt read or '', field, value, ...
-- Commits what Java decided (AttemptVerdict) for the job it read under this lease, and ends the
-- lease. "States read" is the state the decision was made for, or, for a decision that holds in
-- several states, those states separated by spaces. Returns {1, job, change}; {0} if the lease is
-- lost (or, with an owner, if its entry is no longer that consumer's, e.g. its worker renewed it
-- meanwhile); {-1} if the job is not as it was read (state, cancel flag, attempt), so the decision
-- must be made again.
local id, token, states, cancel, to, owner, attempt = A[1], A[2], A[3], A[4], A[5], A[6], A[7]
local j = redis.call('HMGET', jobKey(id), 'token', 'state', 'cancel', 'attempt', 'seq')
if token == '' or j[1] ~= token then return {0} end
if owner ~= '' then
  local pending = redis.call('XPENDING', LEASES, GROUP, token, token, 1)
  if #pending == 0 or pending[1][2] ~= owner then return {0} end
end
if not string.find(' ' .. states .. ' ', ' ' .. j[2] .. ' ', 1, true) or j[3] ~= cancel
    or (attempt ~= '' and j[4] ~= attempt) then
  return {-1}
end
dropLease(token)
local fields = rest(8)
for _, name in ipairs({'token', 'worker', 'leaseMs', 'leaseUntil'}) do
  fields[#fields + 1] = name
  fields[#fields + 1] = ''
end
local change, view = transition(id, j[2], to, fields, j[5])
return {1, view, change}
