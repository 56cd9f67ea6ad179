package dev.hangar.queue.redis;

/**
 * The names of the keys the Java side touches directly; the Lua scripts build the same names from
 * the prefix (see common.lua). All start with the hash tag {@code {prefix}}, so they share a slot.
 */
record RedisKeys(String prefix) {
    /** The consumer group of the lease stream. */
    static final String WORKERS = "workers";
    /** The consumer group of the submit stream. */
    static final String INTAKE = "intake";

    String job(String jobId) {
        return prefix + ":job:" + jobId;
    }

    /** The id of the job made under this idempotency key, as scoped (JobSpec.idempotencyScope). */
    String idempotency(String scope) {
        return prefix + ":idem:" + scope;
    }

    String log(String jobId) {
        return prefix + ":log:" + jobId;
    }

    String leases() {
        return prefix + ":leases";
    }

    String changes() {
        return prefix + ":changes";
    }

    String submit() {
        return prefix + ":submit";
    }

    String dead() {
        return prefix + ":dead";
    }

    String node(String name) {
        return prefix + ":node:" + name;
    }

    String nodes() {
        return prefix + ":nodes";
    }

    /** The nodes asked to drain, each with when (epoch ms): a hash without expiry, as the ask outlives a node's restart. */
    String draining() {
        return prefix + ":draining";
    }

    /** The labels nodes are asked to have in place of their own, each as KEY=VALUE,...: a hash without expiry. */
    String labels() {
        return prefix + ":labels";
    }

    /** Written by each readiness check, to find a Redis that refuses writes; it expires by itself. */
    String ping() {
        return prefix + ":ping";
    }

    /** The settings the first process to open the queue used, for the others to compare theirs with. */
    String settings() {
        return prefix + ":settings";
    }
}
