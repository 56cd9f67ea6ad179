package dev.hangar.core.pool;

/**
 * A warm pool as {@code GET /v1/pools} shows it.
 *
 * @param ready        sandboxes ready for a job now
 * @param starting     sandboxes being made (their launcher not yet up)
 * @param inUse        sandboxes taken from the pool whose job still runs
 * @param served       jobs that took a sandbox from this pool
 * @param missed       jobs that matched the pool but found it empty, and started cold
 * @param replaced     ready sandboxes found dead (launcher killed) and replaced
 * @param expired      sandboxes beyond min destroyed after idling
 * @param evicted      ready sandboxes destroyed for a job that needed the memory they held
 * @param failed       sandboxes that could not be made
 * @param target       how many it keeps now: min, raised towards max by jobs that found it empty
 * @param memoryHeldMb memory its ready and starting sandboxes hold
 * @param limitedBy    why it holds fewer than min, when it does (e.g. the node's memory budget), or that its
 *                     node is drained (it then holds none, whatever its min), else null
 * @param lastError    the last failure to make a sandbox, if any
 */
public record PoolStatus(PoolSpec spec, int ready, int starting, int inUse, long served, long missed, long replaced,
        long expired, long evicted, long failed, int target, long memoryHeldMb, String limitedBy, String lastError) {}
