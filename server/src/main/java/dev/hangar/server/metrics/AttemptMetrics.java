package dev.hangar.server.metrics;

import dev.hangar.core.job.Job;
import dev.hangar.core.job.Timings;
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
 * runtime and start path (cold, warm, restored), recorded once, when the attempt
 * ends. An attempt ends with a final state or, for a retry, back in QUEUED with the same attempt
 * number; a lost delivery goes back to QUEUED with the attempt number taken back and is not an
 * attempt. Only attempts this server saw leased are recorded, so a restart counts nothing twice.
 */
final class AttemptMetrics {
    static final String NO_RUNTIME = "none";
    /** 1 ms … 60 s. */
    static final Duration[] BUCKETS = {
        Duration.ofMillis(1), Duration.ofMillis(2), Duration.ofMillis(5), Duration.ofMillis(10), Duration.ofMillis(25),
        Duration.ofMillis(50), Duration.ofMillis(100), Duration.ofMillis(250), Duration.ofMillis(500),
        Duration.ofSeconds(1), Duration.ofMillis(2500), Duration.ofSeconds(5), Duration.ofSeconds(10),
        Duration.ofSeconds(30), Duration.ofSeconds(60),
    };

    private final MeterRegistry registry;
    private final Function<Job, String> startPath;
    /** Job id → attempt number, for the attempts seen leased and not yet ended. */
    private final Map<String, Integer> leased = new ConcurrentHashMap<>();

    AttemptMetrics(MeterRegistry registry, Function<Job, String> startPath) {
        this.registry = registry;
        this.startPath = startPath;
    }

    void jobChanged(Job job) {
        switch (job.state()) {
            case SCHEDULED, STARTING, RUNNING -> leased.put(job.id(), job.attempt());
            case QUEUED -> {
                Integer attempt = leased.remove(job.id());
                if (attempt != null && attempt == job.attempt()) {
                    recordAttempt(job); // a retry: the attempt failed and another follows
                }
            }
            default -> {
                Integer attempt = leased.remove(job.id());
                if (attempt != null && attempt == job.attempt()) {
                    recordAttempt(job);
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

    private void recordAttempt(Job job) {
        Timings t = job.timings();
        String runtime = runtime(job);
        String path = startPath.apply(job);
        record(Phase.QUEUED, runtime, path, t.queued());
        record(Phase.START, runtime, path, t.start());
        record(Phase.SUBMIT_TO_RUNNING, runtime, path, t.submitToRunning());
        record(Phase.SANDBOX_READY_TO_RUNNING, runtime, path, t.sandboxReadyToRunning());
        record(Phase.RUN, runtime, path, t.run());
    }

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
        QUEUED("hangar.job.queued", "From submit to lease (the attempt's wait in the queue)"),
        START("hangar.job.start", "From lease to process start: runtime choice and sandbox start"),
        SUBMIT_TO_RUNNING("hangar.job.submit.to.running", "From submit to process start"),
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
