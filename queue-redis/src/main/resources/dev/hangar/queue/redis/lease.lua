-- A = worker, now, leaseMs, freeCpus, freeMemoryMb, freeGpus, scan, n, n runtimes, k, k kernel-boundary runtimes,
--     gives a network, m, m images (see leaseNext)
-- Returns {1, job, change, token} for the job leased (the token is the lease entry id), {} if none fits.
return leaseNext(1)
