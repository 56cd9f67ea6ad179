package dev.hangar.agent;

import java.time.Duration;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.ConcurrentHashMap;
import java.util.function.LongSupplier;

/**
 * The runtimes whose sandboxes keep failing on this node (a runtime broken since it was probed:
 * removed by an upgrade, its storage full). After {@link #FAILURES_TO_BENCH} failures in a row a
 * runtime is benched for a while, so that the node stops taking jobs for it, each of which would
 * fail at once, and leaves them to other nodes; then it is tried again, and one more failure
 * benches it again. A sandbox that works clears its record.
 */
final class RuntimeHealth {
    static final int FAILURES_TO_BENCH = 3;
    private static final System.Logger LOG = System.getLogger(RuntimeHealth.class.getName());

    private record Failures(int inARow, String last, long benchedUntilNanos) {}

    private final Duration benchFor;
    private final LongSupplier nanoTime;
    private final Map<String, Failures> byRuntime = new ConcurrentHashMap<>();

    RuntimeHealth(Duration benchFor, LongSupplier nanoTime) {
        this.benchFor = benchFor;
        this.nanoTime = nanoTime;
    }

    void failed(String runtime, String reason) {
        Failures now = byRuntime.merge(runtime, new Failures(1, reason, 0), (had, one) -> {
            int inARow = had.inARow() + 1;
            return new Failures(inARow, reason,
                    inARow >= FAILURES_TO_BENCH ? nanoTime.getAsLong() + benchFor.toNanos() : had.benchedUntilNanos());
        });
        if (now.inARow() >= FAILURES_TO_BENCH) {
            LOG.log(System.Logger.Level.WARNING, "runtime {0}: {1} sandboxes in a row failed, the last with: {2};"
                    + " taking no jobs for it for {3} s", runtime, now.inARow(), reason, benchFor.toSeconds());
        }
    }

    void succeeded(String runtime) {
        byRuntime.remove(runtime);
    }

    /** Why the runtime is benched now, or empty if it is not. */
    Optional<String> benched(String runtime) {
        Failures failures = byRuntime.get(runtime);
        long left = failures == null ? 0 : failures.benchedUntilNanos() - nanoTime.getAsLong();
        if (failures == null || failures.inARow() < FAILURES_TO_BENCH || left <= 0) {
            return Optional.empty();
        }
        return Optional.of("benched for " + Math.max(1, Duration.ofNanos(left).toSeconds()) + " s more: "
                + failures.inARow() + " sandboxes in a row failed on this node, the last with: " + failures.last());
    }
}
