package dev.hangar.server.metrics;

import dev.hangar.core.job.Job;
import dev.hangar.core.job.Timings;
import dev.hangar.core.queue.AttemptVerdict;
import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.Timer;
import java.time.Duration;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.function.Function;

/**
 * Metrics taken from job events: a finished job counted by final state and runtime, and the
 * phases of every attempt (queued, start, submit-to-running, sandbox-ready-to-running, run), per
 * runtime and start path (cold, warm, restored), each recorded once: those up to the process's
 * start when it is heard RUNNING (a long job's start is not held back until it ends), the run when
 * the attempt ends. An attempt ends with a final state or, for a retry, back in QUEUED with the same attempt
 * number; a lost delivery goes back to QUEUED with the attempt number taken back and is not an
 * attempt (its start, heard, is a start all the same). Only attempts this server saw leased are
 * recorded, so a restart counts nothing twice.
 * The phases from submit (queued, submit-to-running) are the first delivery's only: a later one's
 * would hold the earlier runs and their backoff.
 */
final class AttemptMetrics {
    static final String NO_RUNTIME = "none";
    /**
     * 1 ms … 24 h: starts take milliseconds, and runs and waits in the queue minutes or hours (a job may run a week;
     * beyond a day all is one bucket).
     */
    static final Duration[] BUCKETS = {
        Duration.ofMillis(1), Duration.ofMillis(2), Duration.ofMillis(5), Duration.ofMillis(10), Duration.ofMillis(25),
        Duration.ofMillis(50), Duration.ofMillis(100), Duration.ofMillis(250), Duration.ofMillis(500),
        Duration.ofSeconds(1), Duration.ofMillis(2500), Duration.ofSeconds(5), Duration.ofSeconds(10),
        Duration.ofSeconds(30), Duration.ofSeconds(60), Duration.ofMinutes(5), Duration.ofMinutes(15),
        Duration.ofHours(1), Duration.ofHours(4), Duration.ofHours(24),
    };

    private final MeterRegistry registry;
    private final Function<Job, String> startPath;
    /** Job id → the delivery seen leased and not yet ended. */
    private final Map<String, Open> leased = new ConcurrentHashMap<>();

    /** A delivery heard leased: its attempt, and whether its start was recorded. */
    private record Open(int attempt, int delivery, boolean started) {
        boolean of(Job job) {
            return attempt == job.attempt() && delivery == job.deliveries();
        }
    }

    AttemptMetrics(MeterRegistry registry, Function<Job, String> startPath) {
        this.registry = registry;
        this.startPath = startPath;
    }

    void jobChanged(Job job) {
        switch (job.state()) {
            case SCHEDULED, STARTING -> leased.compute(job.id(),
                    (id, open) -> open != null && open.of(job) ? open : new Open(job.attempt(), job.deliveries(), false));
            case RUNNING -> leased.compute(job.id(), (id, open) -> {
                if (open == null || open.of(job) && open.started()) {
                    // not heard leased (before a restart, or changes missed), or a RUNNING event again (a
                    // cancel flagged): its start is recorded by none, or was already
                    return new Open(job.attempt(), job.deliveries(), true);
                }
                recordStart(job);
                return new Open(job.attempt(), job.deliveries(), true);
            });
            case QUEUED -> {
                Open open = leased.remove(job.id());
                if (open != null && open.attempt() == job.attempt()) {
                    recordEnd(job, open); // a retry: the attempt failed and another follows
                }
            }
            default -> {
                Open open = leased.remove(job.id());
                // a delivery lost or given back that ends the job (cancelled meanwhile, or its last) is no attempt
                if (open != null && open.attempt() == job.attempt() && !AttemptVerdict.endedUndelivered(job)) {
                    recordEnd(job, open);
                }
                Counter.builder("hangar.jobs.finished")
                        .description("Jobs that reached a final state, by that state and the runtime of their last attempt")
                        .tag("state", job.state().name())
                        .tag("runtime", runtime(job))
                        .register(registry)
                        .increment();
            }
        }
    }

    /**
     * The queue could not tell every change: a job heard leased may have ended unheard, and would stay
     * in {@link #leased} for good. Its attempt goes unrecorded, as it would have if its lease was not heard.
     */
    void changesMissed() {
        leased.clear();
    }

    /** Registers the histograms of a runtime before its first job, so they read 0 rather than being absent. */
    void declare(String runtime, String path) {
        for (Phase phase : Phase.values()) {
            timer(phase, runtime, path);
        }
    }

    private void recordStart(Job job) {
        Timings t = job.timings();
        String runtime = runtime(job);
        String path = startPath.apply(job);
        if (job.deliveries() == 1) {
            record(Phase.QUEUED, runtime, path, acrossHosts(t.queued()));
            record(Phase.SUBMIT_TO_RUNNING, runtime, path, acrossHosts(t.submitToRunning()));
        }
        record(Phase.START, runtime, path, t.start());
        record(Phase.SANDBOX_READY_TO_RUNNING, runtime, path, t.sandboxReadyToRunning());
    }

    /** The attempt's run, and its start if its RUNNING event went unheard (the queue may merge changes). */
    private void recordEnd(Job job, Open open) {
        if (!open.started()) {
            recordStart(job);
        }
        record(Phase.RUN, runtime(job), startPath.apply(job), job.timings().run());
    }

    /**
     * A wait measured across two hosts (submitted on the server's clock, leased and run on the agent's) comes out
     * below zero when the agent's clock is behind by more than the wait: it is counted as no wait, not dropped, or
     * a skew of a few milliseconds would drop most warm starts from the histograms.
     */
    private static Duration acrossHosts(Duration duration) {
        return duration != null && duration.isNegative() ? Duration.ZERO : duration;
    }

    /** A negative duration of one host's clock (stepped back meanwhile) is no measure: it is dropped. */
    private void record(Phase phase, String runtime, String path, Duration duration) {
        if (duration != null && !duration.isNegative()) {
            timer(phase, runtime, path).record(duration);
        }
    }

    private Timer timer(Phase phase, String runtime, String path) {
        return Timer.builder(phase.metric)
                .description(phase.description)
                .tag("runtime", runtime)
                .tag("path", path)
                .serviceLevelObjectives(BUCKETS)
                .register(registry);
    }

    private static String runtime(Job job) {
        return job.runtime() == null ? NO_RUNTIME : job.runtime();
    }

    /** Attempts seen leased and not ended yet (for tests). */
    int open() {
        return leased.size();
    }

    enum Phase {
        QUEUED("hangar.job.queued", "From submit to the job's first lease (its wait in the queue)"),
        START("hangar.job.start", "From lease to process start: runtime choice and sandbox start"),
        SUBMIT_TO_RUNNING("hangar.job.submit.to.running", "From submit to the process start of the job's first delivery"),
        SANDBOX_READY_TO_RUNNING("hangar.job.sandbox.ready.to.running",
                "From sandbox ready to process start (for a warm sandbox, its wait in the pool included)"),
        RUN("hangar.job.run", "From process start to the end of the attempt");

        final String metric;
        final String description;

        Phase(String metric, String description) {
            this.metric = metric;
            this.description = description;
        }
    }
}
