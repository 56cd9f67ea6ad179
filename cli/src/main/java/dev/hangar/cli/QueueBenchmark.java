package dev.hangar.cli;

import dev.hangar.core.job.Job;
import dev.hangar.core.job.JobSpec;
import dev.hangar.core.job.JobState;
import dev.hangar.core.json.Json;
import dev.hangar.core.queue.Lease;
import dev.hangar.core.queue.LeaseRequest;
import dev.hangar.core.queue.Outcome;
import dev.hangar.core.queue.QueueBackend;
import dev.hangar.core.queue.QueueListener;
import dev.hangar.core.select.Selection;
import java.net.URI;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.Callable;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicReference;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/**
 * {@code hangar bench queue}: the queue alone, through the backend SPI. Producer threads enqueue N
 * tiny jobs while worker threads, each a simulated agent with a warm sandbox, take them through
 * started → finishAndLease(succeeded), which hands over the next job (a plain lease only when the
 * worker had none). Reports completed jobs/s, the latency of each job
 * from enqueue to leased and to finish committed, and the time spent in each queue operation, so
 * the operation that bounds throughput shows. {@code bench/queue/run} sets it against BullMQ and the
 * {@code redis-benchmark} XADD ceiling on the same redis-server.
 */
@Command(name = "queue", description = "Queue throughput and latency: enqueue -> started -> finishAndLease through the backend SPI.")
final class QueueBenchmark implements Callable<Integer> {
    private static final String NAME_PREFIX = "qbench-";
    private static final Selection SELECTION = new Selection("process", "queue benchmark: no sandbox runs", List.of());
    /** An empty lease waits at most this long for a notification before it asks again. */
    private static final long IDLE_PARK_NANOS = TimeUnit.MILLISECONDS.toNanos(2);
    /** No job finished for this long: something is stuck, say so instead of hanging. */
    private static final Duration STALL = Duration.ofSeconds(60);
    /** The queue calls a job takes, as the report says. */
    static final String CALLS_PER_JOB = "enqueue (producer); started + finishAndLease (worker; finishAndLease also"
            + " leases the worker's next job; a plain lease only after the worker found nothing)";

    @Option(converter = LocationConverter.class, names = "--queue", required = true,
            description = "Queue location, e.g. redis://127.0.0.1:6390?prefix=bench or sqlite:/tmp/bench.db")
    URI queue;

    @Option(names = "--jobs", defaultValue = "50000", description = "Measured jobs (default: ${DEFAULT-VALUE})")
    int jobs;

    @Option(names = "--producers", defaultValue = "4", description = "Threads enqueueing (default: ${DEFAULT-VALUE})")
    int producers;

    @Option(names = "--workers", defaultValue = "8",
            description = "Threads leasing and finishing, each a simulated agent (default: ${DEFAULT-VALUE})")
    int workers;

    @Option(names = "--warmup", defaultValue = "20000",
            description = "Unmeasured jobs run first, while the JVM compiles the hot path (default: ${DEFAULT-VALUE})")
    int warmup;

    @Option(names = "--no-listener", description = "Subscribe no QueueListener: idle workers only park briefly and ask"
            + " again, instead of waiting on a notification as an agent does (shows what telling listeners costs)")
    boolean noListener;

    @Option(names = "--json", description = "Print the figures as JSON")
    boolean json;

    @Override
    public Integer call() throws Exception {
        if (jobs < 1 || producers < 1 || workers < 1 || warmup < 0) {
            throw new IllegalArgumentException("--jobs, --producers and --workers must be at least 1, --warmup at least 0");
        }
        try (QueueBackend backend = EmbeddedHangar.openQueue(queue)) {
            long unfinished = backend.countByState().entrySet().stream()
                    .filter(e -> !e.getKey().isFinal()).mapToLong(Map.Entry::getValue).sum();
            if (unfinished > 0) {
                throw new IllegalStateException(dev.hangar.queue.redis.RedisQueueBackend.shown(queue) + " holds " + unfinished
                        + " unfinished job(s); the benchmark needs an empty queue (flush it or use another prefix)");
            }
            Round measured;
            long succeededBefore = backend.countByState().getOrDefault(JobState.SUCCEEDED, 0L);
            try (var progress = new Progress(System.err, () -> "benchmarking the " + backend.name() + " queue")) {
                if (warmup > 0) {
                    new Round(backend, warmup).run();
                }
                measured = new Round(backend, jobs);
                measured.run();
            }
            // why checked: a finish the queue refused returns all the same, and would be counted as a job done
            long succeeded = backend.countByState().getOrDefault(JobState.SUCCEEDED, 0L) - succeededBefore;
            if (succeeded != warmup + jobs) {
                throw new IllegalStateException(succeeded + " of the " + (warmup + jobs) + " jobs run SUCCEEDED; jobs by"
                        + " state: " + backend.countByState() + "; no figure is reported");
            }
            report(backend.name(), measured);
        }
        return 0;
    }

    /** One pass: {@code count} jobs through the queue, with the instants each was at. */
    private final class Round {
        final QueueBackend backend;
        final int count;
        final long[] enqueueStart;
        final long[] enqueued;
        final long[] leased;
        final long[] finished;
        /** Time inside each call, per job. */
        final long[] startedCall;
        final long[] finishCall;
        /** Of the jobs, how many a plain lease (not a finishAndLease) handed over. */
        final AtomicInteger plainLeases = new AtomicInteger();
        final AtomicInteger done = new AtomicInteger();
        final AtomicInteger emptyLeases = new AtomicInteger();
        final AtomicReference<Throwable> failure = new AtomicReference<>();
        final Wake wake = new Wake();
        final CountDownLatch go = new CountDownLatch(1);
        /** This process's CPU time (all threads) when the round started and when its last job finished. */
        long cpuStart;
        long cpuEnd;
        /** Counted down when the last job finished or something failed. */
        final CountDownLatch over = new CountDownLatch(1);

        Round(QueueBackend backend, int count) {
            this.backend = backend;
            this.count = count;
            enqueueStart = new long[count];
            enqueued = new long[count];
            leased = new long[count];
            finished = new long[count];
            startedCall = new long[count];
            finishCall = new long[count];
        }

        void run() throws Exception {
            List<Thread> threads = new ArrayList<>();
            try (AutoCloseable ignored = noListener ? () -> {} : backend.subscribe(new QueueListener() {
                @Override
                public void jobChanged(Job job) {
                    if (job.state() == JobState.QUEUED) {
                        wake.signal();
                    }
                }
            })) {
                for (int w = 0; w < workers; w++) {
                    String workerId = "qbench-worker-" + w;
                    threads.add(Thread.ofPlatform().name(workerId).daemon().start(() -> guarded(() -> work(workerId))));
                }
                for (int p = 0; p < producers; p++) {
                    int first = p;
                    threads.add(Thread.ofPlatform().name("qbench-producer-" + p).daemon().start(() -> guarded(() -> produce(first))));
                }
                cpuStart = processCpuNanos();
                go.countDown();
                awaitDone();
                cpuEnd = processCpuNanos();
            } finally {
                done.set(Integer.MAX_VALUE);
                wake.signal();
                for (Thread thread : threads) {
                    thread.join(TimeUnit.SECONDS.toMillis(10));
                }
            }
        }

        private void guarded(ThrowingRunnable body) {
            try {
                body.run();
            } catch (Throwable e) {
                failure.compareAndSet(null, e);
                wake.signal();
                over.countDown();
            }
        }

        /** Jobs first, first + P, first + 2P, ... so producers interleave. */
        private void produce(int first) throws InterruptedException {
            go.await();
            for (int i = first; i < count && failure.get() == null; i += producers) {
                JobSpec spec = JobSpec.builder().name(NAME_PREFIX + i).command("true").build();
                enqueueStart[i] = System.nanoTime();
                backend.enqueue(spec);
                enqueued[i] = System.nanoTime();
            }
        }

        /**
         * A simulated agent whose sandbox is warm: once it holds a job it reports it started, then
         * finishes it succeeded and takes the next job in the same call; only a worker left with no
         * job leases (after waiting for a notification). No sleeps on the way.
         */
        private void work(String workerId) throws InterruptedException {
            var request = new LeaseRequest(workerId, Duration.ofSeconds(60), 1024, 1L << 20, 0);
            go.await();
            Lease lease = null;
            while (done.get() < count && failure.get() == null) {
                if (lease == null) {
                    long seen = wake.generation();
                    Optional<Lease> taken = backend.lease(request);
                    long t1 = System.nanoTime();
                    if (taken.isEmpty()) {
                        emptyLeases.incrementAndGet();
                        wake.await(seen, IDLE_PARK_NANOS);
                        continue;
                    }
                    lease = taken.get();
                    leased[indexOf(lease)] = t1;
                    plainLeases.incrementAndGet();
                }
                int i = indexOf(lease);
                long t2 = System.nanoTime();
                if (!backend.started(lease, workerId, SELECTION, null)) {
                    throw new IllegalStateException("lost the lease of " + lease.jobId() + " before it started");
                }
                long t3 = System.nanoTime();
                Optional<Lease> next = backend.finishAndLease(lease, Outcome.succeeded(0, false), request);
                long t4 = System.nanoTime();
                startedCall[i] = t3 - t2;
                finishCall[i] = t4 - t3;
                finished[i] = t4;
                lease = next.orElse(null);
                if (lease != null) {
                    leased[indexOf(lease)] = t4;
                }
                if (done.incrementAndGet() == count) {
                    wake.signal();
                    over.countDown();
                }
            }
        }

        private int indexOf(Lease lease) {
            String name = lease.job().spec().name();
            if (name == null || !name.startsWith(NAME_PREFIX)) {
                throw new IllegalStateException("leased job " + lease.jobId() + " (" + name + ") is not this benchmark's");
            }
            return Integer.parseInt(name.substring(NAME_PREFIX.length()));
        }

        private void awaitDone() throws Exception {
            int last = -1;
            long progressAt = System.nanoTime();
            while (true) {
                Throwable failed = failure.get();
                if (failed != null) {
                    throw new IllegalStateException("queue benchmark failed: " + failed, failed);
                }
                int now = done.get();
                if (now >= count) {
                    return;
                }
                if (now != last) {
                    last = now;
                    progressAt = System.nanoTime();
                } else if (System.nanoTime() - progressAt > STALL.toNanos()) {
                    throw new IllegalStateException("no job finished for " + STALL.toSeconds() + " s (" + now + " of " + count
                            + " done); jobs by state: " + backend.countByState());
                }
                over.await(1, TimeUnit.SECONDS);
            }
        }
    }

    /** CPU time this process has used, all threads, or -1 where the JVM cannot tell. */
    private static long processCpuNanos() {
        return java.lang.management.ManagementFactory.getOperatingSystemMXBean()
                instanceof com.sun.management.OperatingSystemMXBean os ? os.getProcessCpuTime() : -1;
    }

    @FunctionalInterface
    private interface ThrowingRunnable {
        void run() throws Exception;
    }

    /**
     * Wakes workers waiting for work. A generation counter, read before the lease, means a job
     * enqueued between an empty lease and the wait is not missed.
     */
    private static final class Wake {
        private long generation;
        private int waiting;

        synchronized long generation() {
            return generation;
        }

        synchronized void signal() {
            generation++;
            if (waiting > 0) {
                notifyAll();
            }
        }

        synchronized void await(long seen, long timeoutNanos) throws InterruptedException {
            long deadline = System.nanoTime() + timeoutNanos;
            waiting++;
            try {
                while (generation == seen) {
                    long left = deadline - System.nanoTime();
                    if (left <= 0) {
                        return;
                    }
                    TimeUnit.NANOSECONDS.timedWait(this, left);
                }
            } finally {
                waiting--;
            }
        }
    }

    /** Time inside one queue call: mean and percentiles, and its share of the workers' busy time. */
    record Operation(String name, double meanMs, LatencyStats stats) {
        static Operation of(String name, long[] nanos) {
            long sum = 0;
            for (long n : nanos) {
                sum += n;
            }
            return new Operation(name, sum / 1e6 / nanos.length, LatencyStats.of(name, nanos));
        }
    }

    private void report(String backendName, Round round) {
        int n = round.count;
        long first = Long.MAX_VALUE;
        long lastEnqueued = Long.MIN_VALUE;
        long lastFinished = Long.MIN_VALUE;
        long[] toLeased = new long[n];
        long[] toFinished = new long[n];
        long[] enqueueCall = new long[n];
        for (int i = 0; i < n; i++) {
            first = Math.min(first, round.enqueueStart[i]);
            lastEnqueued = Math.max(lastEnqueued, round.enqueued[i]);
            lastFinished = Math.max(lastFinished, round.finished[i]);
            toLeased[i] = round.leased[i] - round.enqueueStart[i];
            toFinished[i] = round.finished[i] - round.enqueueStart[i];
            enqueueCall[i] = round.enqueued[i] - round.enqueueStart[i];
        }
        double wallSeconds = (lastFinished - first) / 1e9;
        double throughput = n / wallSeconds;
        double enqueueRate = n / ((lastEnqueued - first) / 1e9);
        // the client's share of the work: every thread of this process, while the measured jobs ran
        double cpuMicrosPerJob = round.cpuStart < 0 ? Double.NaN : (round.cpuEnd - round.cpuStart) / 1e3 / n;
        List<LatencyStats> latency = List.of(LatencyStats.of("enqueue -> leased", toLeased),
                LatencyStats.of("enqueue -> finish committed", toFinished));
        List<Operation> operations = List.of(Operation.of("enqueue", enqueueCall), Operation.of("started", round.startedCall),
                Operation.of("finishAndLease", round.finishCall));
        if (json) {
            var out = new LinkedHashMap<String, Object>();
            out.put("benchmark", "queue");
            out.put("backend", backendName);
            out.put("queue", RedisLocations.shown(queue)); // without a password
            out.put("jobs", n);
            out.put("producers", producers);
            out.put("workers", workers);
            out.put("warmup", warmup);
            out.put("listener", !noListener);
            out.put("throughput", throughput);
            out.put("wallSeconds", wallSeconds);
            out.put("enqueueRate", enqueueRate);
            out.put("clientCpuMicrosPerJob", cpuMicrosPerJob);
            out.put("emptyLeases", round.emptyLeases.get());
            out.put("plainLeases", round.plainLeases.get());
            out.put("callsPerJob", CALLS_PER_JOB);
            out.put("latency", latency);
            out.put("operations", operations);
            System.out.println(Json.write(out));
            return;
        }
        System.out.printf("queue benchmark: %s backend at %s; %d jobs (after %d warm-up), %d producers, %d workers%s%n",
                backendName, RedisLocations.shown(queue), n, warmup, producers, workers, noListener ? ", no listener" : "");
        System.out.printf("throughput: %.0f jobs/s completed (%.2f s from first enqueue to last finish); enqueued at %.0f jobs/s%n",
                throughput, wallSeconds, enqueueRate);
        System.out.printf("CPU of this process: %.0f us per job%n", cpuMicrosPerJob);
        System.out.println("queue calls per job: " + CALLS_PER_JOB);
        latency.forEach(s -> System.out.println("  " + s.line()));
        System.out.printf("time inside each queue call (%d of the jobs came by a plain lease, the others by finishAndLease;"
                + " %d empty leases besides, each then waiting for a notification or %d ms):%n",
                round.plainLeases.get(), round.emptyLeases.get(), TimeUnit.NANOSECONDS.toMillis(IDLE_PARK_NANOS));
        for (Operation op : operations) {
            System.out.printf("  %s  mean=%7.3f ms%n", op.stats().line(), op.meanMs());
        }
    }
}
