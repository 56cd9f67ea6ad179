-- A = submit entry, reason, its field, value, ...
-- Sets aside a submit entry that is not a valid job, and takes it off the submit stream. Returns {1},
-- or {0} if it was set aside already (by another server that took it over, or by this call sent
-- again after its reply was lost): the set-aside entries are counted once.
if redis.call('XACK', P .. ':submit', 'intake', A[1]) == 0 then return {0} end
redis.call('XADD', P .. ':dead', 'MAXLEN', '~', DEAD_MAX, '*', 'source', A[1], 'reason', A[2], unpack(rest(3)))
redis.call('XDEL', P .. ':submit', A[1])
return {1}
