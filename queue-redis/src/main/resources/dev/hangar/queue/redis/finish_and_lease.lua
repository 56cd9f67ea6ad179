-- A = id, token, states read, cancel read, new state, attempt read, n, n fields and values (as settle.lua,
--     without an owner), then the lease request as lease.lua takes it
-- Settles the finished job and leases the next one for the same worker, in one step. Returns
-- {settle code, lease reply}: the code as settle.lua's (1 recorded, 0 lease lost); the lease reply as
-- lease.lua's. A code of -1 (the job is not as it was read, so the outcome must be decided again)
-- leases nothing: the caller settles again and leases after.
local n = tonumber(A[7])
local settled = settleJob(A[1], A[2], A[3], A[4], A[5], '', A[6], rest(8, 7 + n), false)
if settled[1] == -1 then return {-1, {}} end
return {settled[1], leaseNext(8 + n)}
