-- A = worker, now, leaseMs, freeCpus, freeMemoryMb, freeGpus, scan, n, n runtimes, k, k kernel-boundary runtimes,
--     l, l runtimes that give a network, g, g runtimes that pass GPUs through, m, m images, r, r mount roots,
--     f, f pairs of a runtime and its memory floor in MiB, s, s labels of its node as KEY=VALUE (see leaseNext)
-- Returns {1, job, change, token} for the job leased (the token is the lease entry id), {} if none fits.
return leaseNext(1)
