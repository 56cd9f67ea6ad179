-- A = submit entry, reason, its field, value, ...
-- Sets aside a submit entry that is not a valid job, and takes it off the submit stream. Returns {1},
-- or {0} if another server set it aside already (one that took it over): the set-aside entries are
-- counted once. This call sent again after its reply was lost answers {1} again, as it did the work.
local done = RID ~= '' and (P .. ':rid:' .. RID .. ':dead') or nil
if redis.call('XACK', P .. ':submit', 'intake', A[1]) == 0 then
  if done and redis.call('GET', done) == A[1] then return {1} end
  return {0}
end
redis.call('XADD', P .. ':dead', 'MAXLEN', '~', DEAD_MAX, '*', 'source', A[1], 'reason', A[2], unpack(rest(3)))
redis.call('XDEL', P .. ':submit', A[1])
if done then redis.call('SET', done, A[1], 'PX', RESEND_MS) end
return {1}
