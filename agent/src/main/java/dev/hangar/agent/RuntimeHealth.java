package dev.hangar.agent;

import java.time.Duration;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.ConcurrentHashMap;
import java.util.function.LongSupplier;

/**
 * The runtimes whose sandboxes keep failing on this node (a runtime broken since it was probed:
 * removed by an upgrade, its storage full). Each failure benches the runtime on this node for a
 * moment (a tenth of the bench), so that the job it gave back goes to another node rather than
 * straight back to this one; after {@link #FAILURES_TO_BENCH} failures in a row it is benched for
 * the whole bench, so that the node stops taking jobs for it, each of which would fail at once;
 * then it is tried again, and one more failure benches it again. A job's own (cold) sandbox made
 * after the last failure that works clears the record; one made before says nothing of the runtime
 * now (a job that ran for hours on a runtime since removed, say), nor does a warm one, made in the
 * background at a time the record does not keep.
 */
final class RuntimeHealth {
    static final int FAILURES_TO_BENCH = 3;
    private static final System.Logger LOG = System.getLogger(RuntimeHealth.class.getName());

    private record Failures(int inARow, long lastAtNanos, long benchedUntilNanos) {}

    private final Duration benchFor;
    private final LongSupplier nanoTime;
    private final Map<String, Failures> byRuntime = new ConcurrentHashMap<>();

    RuntimeHealth(Duration benchFor, LongSupplier nanoTime) {
        this.benchFor = benchFor;
        this.nanoTime = nanoTime;
    }

    void failed(String runtime, String reason) {
        long at = nanoTime.getAsLong();
        Failures now = byRuntime.merge(runtime, new Failures(1, at, benchedUntil(1)),
                (had, one) -> new Failures(had.inARow() + 1, at, benchedUntil(had.inARow() + 1)));
        if (now.inARow() >= FAILURES_TO_BENCH) {
            LOG.log(System.Logger.Level.WARNING, "runtime {0}: {1} sandboxes in a row failed, the last with: {2};"
                    + " taking no jobs for it for {3} s", runtime, now.inARow(), reason, benchFor.toSeconds());
        }
    }

    private long benchedUntil(int failuresInARow) {
        Duration bench = failuresInARow >= FAILURES_TO_BENCH ? benchFor : benchFor.dividedBy(10);
        return nanoTime.getAsLong() + bench.toNanos();
    }

    /** Now, as {@link #succeeded} takes it: taken before a sandbox is made. */
    long now() {
        return nanoTime.getAsLong();
    }

    /** A sandbox of this runtime, made from {@code madeFromNanos} ({@link #now}) on, worked. */
    void succeeded(String runtime, long madeFromNanos) {
        byRuntime.computeIfPresent(runtime, (name, failures) -> failures.lastAtNanos() - madeFromNanos < 0 ? null : failures);
    }

    /** Why the runtime is benched now, or empty if it is not. */
    Optional<String> benched(String runtime) {
        Failures failures = byRuntime.get(runtime);
        long left = failures == null ? 0 : failures.benchedUntilNanos() - nanoTime.getAsLong();
        if (failures == null || left <= 0) {
            return Optional.empty();
        }
        // why not the failure's own words: they may hold the job's command line, id or image, and this reason is
        // every tenant's to read (the node's runtimes, an explain, the selection kept on any job leased meanwhile)
        return Optional.of("benched for " + Math.max(1, Duration.ofNanos(left).toSeconds()) + " s more: "
                + (failures.inARow() == 1 ? "a sandbox" : failures.inARow() + " sandboxes in a row")
                + " failed on this node (its agent's log says why)");
    }
}
