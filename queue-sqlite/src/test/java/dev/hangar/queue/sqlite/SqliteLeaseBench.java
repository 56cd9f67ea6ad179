package dev.hangar.queue.sqlite;

import static org.assertj.core.api.Assertions.assertThat;

import dev.hangar.core.queue.LeaseRequest;
import dev.hangar.core.queue.QueueBackend;
import dev.hangar.queue.testkit.MutableClock;
import dev.hangar.queue.testkit.TestJobs;
import java.nio.file.Path;
import java.time.Instant;
import java.util.Locale;
import java.util.Set;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * What a lease costs on the embedded store with a backlog: a worker that says which runtimes it
 * has (as every agent does; the lease then reads the specs of the jobs ahead of the one it takes)
 * against the baseline of one that says nothing (the lease reads no spec), in the same run, on
 * two stores of {@value #BACKLOG} queued jobs each. A measurement, not a test. Excluded from the
 * build; run it with
 *
 * <pre>{@code ./mvnw -B -o -q -pl queue-sqlite test -Dhangar.excludedGroups= -Dgroups=bench -Dtest=SqliteLeaseBench}</pre>
 */
@Tag("bench")
class SqliteLeaseBench {
    private static final int BACKLOG = 20_000;
    private static final int LEASES = 1_000;
    private static final int ROUNDS = 4;

    @TempDir
    Path dir;

    @Test
    void leaseWithABacklog() throws Exception {
        var clock = MutableClock.at(Instant.parse("2026-01-01T00:00:00Z"));
        try (QueueBackend bare = filled(dir.resolve("bare.db"), clock);
                QueueBackend telling = filled(dir.resolve("telling.db"), clock)) {
            LeaseRequest saysNothing = TestJobs.worker("bare");
            LeaseRequest saysItsRuntimes = TestJobs.worker("telling", Set.of("process"), Set.of());
            for (int round = 0; round < ROUNDS; round++) {
                var bareTook = new java.util.ArrayList<String>();
                var tellingTook = new java.util.ArrayList<String>();
                double baseline = msPerLease(bare, saysNothing, bareTook);
                double measured = msPerLease(telling, saysItsRuntimes, tellingTook);
                // the cheaper lease must take the very jobs, in the same order, that the full one does
                assertThat(tellingTook).hasSize(LEASES).isEqualTo(bareTook);
                System.out.printf(Locale.ROOT, "round %d: %.3f ms per lease saying nothing (baseline), %.3f ms saying"
                        + " its runtimes: x%.2f%s%n", round, baseline, measured, measured / baseline,
                        round == 0 ? " (warm-up)" : "");
            }
        }
    }

    private static QueueBackend filled(Path file, MutableClock clock) {
        QueueBackend queue = SqliteQueueBackend.open(file, clock);
        for (int i = 0; i < BACKLOG; i++) {
            queue.enqueue(TestJobs.spec("job-" + i));
        }
        return queue;
    }

    /** Leases {@value #LEASES} jobs; {@code took} gets their names, in order. */
    private static double msPerLease(QueueBackend queue, LeaseRequest worker, java.util.List<String> took) {
        var leased = new java.util.ArrayList<dev.hangar.core.queue.Lease>(LEASES);
        long begin = System.nanoTime();
        for (int i = 0; i < LEASES; i++) {
            leased.add(queue.lease(worker).orElseThrow());
        }
        double ms = (System.nanoTime() - begin) / 1e6 / LEASES;
        leased.forEach(lease -> took.add(lease.job().spec().name()));
        return ms;
    }
}
