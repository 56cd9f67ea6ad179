-- A = id, token, states read, cancel read, new state, owner or '', attempt read or '', field, value, ...
-- Commits what Java decided (AttemptVerdict) for the job it read under this lease, and ends the
-- lease. "States read" is the state the decision was made for, or, for a decision that holds in
-- several states, those states separated by spaces. Returns {1, job, change}; {0} if the lease is
-- lost (or, with an owner, if its entry is no longer that consumer's, e.g. its worker renewed it
-- meanwhile); {-1} if the job is not as it was read (state, cancel flag, attempt), so the decision
-- must be made again.
return settleJob(A[1], A[2], A[3], A[4], A[5], A[6], A[7], rest(8), true)
