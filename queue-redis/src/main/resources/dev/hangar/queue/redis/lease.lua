-- A = worker, now, leaseMs, freeCpus, freeMemoryMb, freeGpus, scan, n, n runtimes, k, k kernel-boundary runtimes
-- Returns {1, job, change, token} for the job leased (the token is the lease entry id), {} if none fits.
return leaseNext(1)
