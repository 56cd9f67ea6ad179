-- A = submit entry, reason, its field, value, ...
-- Sets aside a submit entry that is not a valid job, and takes it off the submit stream.
-- an entry no longer pending was set aside already: this call was sent again after its reply was lost
if redis.call('XACK', P .. ':submit', 'intake', A[1]) == 0 then return {1} end
redis.call('XADD', P .. ':dead', 'MAXLEN', '~', DEAD_MAX, '*', 'source', A[1], 'reason', A[2], unpack(rest(3)))
redis.call('XDEL', P .. ':submit', A[1])
return {1}
