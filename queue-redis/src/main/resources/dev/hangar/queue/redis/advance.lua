-- A = id, token, from state, to state, field, value, ...
-- Moves a leased job one step on (SCHEDULED -> STARTING -> RUNNING). Returns {1, {}, change}, or {0}
-- if the lease is lost or the job is not in the from state.
return advanceJob(A[1], A[2], A[3], A[4], rest(5))
