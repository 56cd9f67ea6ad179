package dev.hangar.cli;

import dev.hangar.agent.AgentConfig;
import dev.hangar.agent.pool.PoolManager;
import dev.hangar.core.job.Resources;
import dev.hangar.core.pool.PoolSpec;
import dev.hangar.core.pool.PoolStatus;
import dev.hangar.client.HangarClient;
import dev.hangar.core.job.Job;
import dev.hangar.core.job.JobSpec;
import dev.hangar.core.json.Json;
import dev.hangar.core.queue.QueueListener;
import dev.hangar.core.runtime.RuntimeStatus;
import dev.hangar.core.runtime.SandboxRuntime;
import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.Callable;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.TimeUnit;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/**
 * {@code hangar bench start}: submit to job process running (its first output: {@code echo}
 * prints as it starts), per runtime and start path, against the runtime's own plain command (raw
 * bwrap, {@code podman run}, {@code runsc do}) measured interleaved in the same run. Paths: cold
 * (a sandbox made for the job), warm (taken from a pool of the runtime, refilled between runs,
 * untimed) and restored (from a snapshot, where a runtime offers them). Each through the REST API
 * (POST the job, follow its log) and in-process (enqueue on the store, wait for the first stored
 * output).
 */
@Command(name = "start", description = "Start latency per runtime, cold vs warm (vs restored): Hangar (REST and "
        + "in-process) vs the raw command, same run.")
final class StartBenchmark implements Callable<Integer> {
    private static final List<String> COMMAND = List.of("echo", "hangar-bench");
    /** Warm jobs fit the bench pool; cold jobs ask for more memory than its sandboxes have, so never take one. */
    private static final Resources WARM_JOB = new Resources(1.0, 256L, null, null, null, null);
    private static final Resources RESTORED_JOB = new Resources(1.0, 384L, null, null, null, null);
    private static final Resources COLD_JOB = new Resources(1.0, 512L, null, null, null, null);
    private static final int POOL_SIZE = 2;

    @Option(names = "--runs", defaultValue = "100", description = "Measured runs per path (default: ${DEFAULT-VALUE})")
    int runs;

    @Option(names = "--warmup", defaultValue = "10", description = "Unmeasured runs per path first (default: ${DEFAULT-VALUE})")
    int warmup;

    @Option(names = "--runtime", split = ",", description = "Runtimes to measure (default: every available one)")
    List<String> only = List.of();

    @Option(names = "--json", description = "Print the figures as JSON")
    boolean json;

    @Override
    public Integer call() throws Exception {
        if (runs < 1 || warmup < 0) {
            throw new IllegalArgumentException("--runs must be at least 1 and --warmup at least 0");
        }
        AgentNode.checkRuntimes("--runtime", Set.copyOf(only));
        Path dataDir = ThrowawayDirs.make("bench");
        AgentConfig node = AgentConfig.forThisHost("bench");
        // why: a runtime not measured is not started either (podman's service, images imported into it)
        node = only.isEmpty() ? node : node.withRuntimes(Set.copyOf(only));
        try (var hangar = EmbeddedHangar.start(dataDir, "127.0.0.1", 0, node)) {
            var results = new LinkedHashMap<String, List<LatencyStats>>();
            var notes = new LinkedHashMap<String, List<String>>();
            for (RuntimeStatus status : hangar.agent().runtimes()) {
                if (!status.probe().available() || (!only.isEmpty() && !only.contains(status.name()))) {
                    continue;
                }
                SandboxRuntime runtime = hangar.agent().runtime(status.name()).orElseThrow();
                try (var progress = new Progress(System.err, () -> "benchmarking " + status.name())) {
                    var runtimeNotes = new ArrayList<String>();
                    results.put(status.name(), measure(hangar, runtime, runtimeNotes));
                    notes.put(status.name(), runtimeNotes);
                }
            }
            // a runtime asked for by name that this host cannot run is said, not skipped in silence
            for (RuntimeStatus status : hangar.agent().runtimes()) {
                if (only.contains(status.name()) && !results.containsKey(status.name())) {
                    System.err.println("hangar: --runtime " + status.name() + " is not available on this host: "
                            + status.probe().reason());
                }
            }
            if (results.isEmpty()) {
                System.err.println("hangar: no runtime to measure" + (only.isEmpty() ? " is available on this host" : ""));
                return 1;
            }
            report(results, notes);
        } finally {
            ThrowawayDirs.delete(dataDir);
        }
        return 0;
    }

    /** The process runtime runs host commands; the others run the built-in busybox image. */
    private static String imageFor(SandboxRuntime runtime) {
        return runtime.name().equals("process") ? null : "busybox";
    }

    private List<LatencyStats> measure(EmbeddedHangar hangar, SandboxRuntime runtime, List<String> notes)
            throws Exception {
        String image = imageFor(runtime);
        JobSpec cold = JobSpec.builder().command(COMMAND).runtime(runtime.name()).image(image).resources(COLD_JOB).build();
        var client = new HangarClient(hangar.url());
        // the first job also makes the image, so the baseline below finds it ready
        inProcess(hangar, cold);
        PoolManager pools = hangar.agent().pools();
        // each pooled path has a pool of its own, told apart by the memory its jobs ask for
        var pooled = new LinkedHashMap<String, PooledPath>();
        if (pools.pooledRuntimes().contains(runtime.name())) {
            pooled.put("warm", new PooledPath(pools.put(new PoolSpec("bench-" + runtime.name(), runtime.name(), image,
                    WARM_JOB.cpus(), WARM_JOB.memoryMb(), POOL_SIZE, POOL_SIZE, 3600)).status().spec().name(),
                    cold.toBuilder().resources(WARM_JOB).build()));
        } else {
            notes.add("warm: n/a: " + runtime.name() + " cannot start sandboxes ahead of a job");
        }
        if (runtime.snapshots().isPresent() && pools.pooledRuntimes().contains(runtime.name())) {
            pooled.put("restored", new PooledPath(pools.put(new PoolSpec("bench-" + runtime.name() + "-restored",
                    runtime.name(), image, RESTORED_JOB.cpus(), RESTORED_JOB.memoryMb(), POOL_SIZE, POOL_SIZE, 3600,
                    true, null)).status().spec().name(), cold.toBuilder().resources(RESTORED_JOB).build()));
        } else {
            notes.add("restored: n/a: " + runtime.name() + " has no snapshot support on this host");
        }
        List<String> baseline = runtime.baselineCommand(image, COMMAND).orElse(null);
        var paths = new ArrayList<>(List.of("raw", "cold REST", "cold in-process"));
        pooled.keySet().forEach(kind -> paths.addAll(List.of(kind + " REST", kind + " in-process")));
        var samples = new LinkedHashMap<String, long[]>();
        paths.forEach(path -> samples.put(path, new long[runs]));
        Runnable settle = () -> settle(hangar, pools, pooled.values());
        for (int i = -warmup; i < runs; i++) {
            var run = new LinkedHashMap<String, Long>();
            settle.run();
            run.put("raw", baseline == null ? 0 : firstOutput(baseline));
            settle.run();
            run.put("cold REST", viaRest(client, cold));
            settle.run();
            run.put("cold in-process", inProcess(hangar, cold));
            for (var entry : pooled.entrySet()) {
                PooledPath path = entry.getValue();
                settle.run();
                run.put(entry.getKey() + " REST", viaRest(client, path.job()));
                settle.run();
                run.put(entry.getKey() + " in-process", inProcess(hangar, path.job()));
            }
            if (i >= 0) {
                int at = i;
                run.forEach((path, nanos) -> samples.get(path)[at] = nanos);
            }
        }
        for (var entry : pooled.entrySet()) {
            PoolStatus status = pools.remove(entry.getValue().pool()).orElseThrow();
            notes.add(entry.getKey() + ": pool of " + POOL_SIZE + ", served " + status.served() + ", missed "
                    + status.missed());
        }
        var stats = new ArrayList<LatencyStats>();
        if (baseline != null) {
            stats.add(LatencyStats.of("raw " + runtime.name() + " command", samples.get("raw")));
        }
        paths.stream().filter(path -> !path.equals("raw"))
                .forEach(path -> stats.add(LatencyStats.of("hangar " + path, samples.get(path))));
        return stats;
    }

    /** A pool measured as one start path, and the job that fits it (and no other bench pool). */
    private record PooledPath(String pool, JobSpec job) {}

    /**
     * Untimed: waits until no job runs (the last path's sandbox destroyed) and every bench pool has all its sandboxes
     * ready again, so that each path is timed on a host at rest, not beside what the path before it left to do (the
     * raw command was timed beside a teardown and a pool's refill), and each warm run finds a sandbox.
     */
    private static void settle(EmbeddedHangar hangar, PoolManager pools, java.util.Collection<PooledPath> pooled) {
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(120);
        Set<String> names = pooled.stream().map(PooledPath::pool).collect(java.util.stream.Collectors.toSet());
        while (true) {
            List<PoolStatus> filling = pools.pools().stream()
                    .filter(p -> names.contains(p.spec().name()) && p.ready() < POOL_SIZE).toList();
            int running = hangar.agent().runningJobs();
            if (filling.isEmpty() && running == 0) {
                return;
            }
            if (System.nanoTime() > deadline) {
                throw new IllegalStateException("the host did not settle in 120 s: " + running + " job(s) running, pools"
                        + " filling: " + filling);
            }
            try {
                Thread.sleep(5);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                throw new IllegalStateException("interrupted while the host settled", e);
            }
        }
    }

    private void report(Map<String, List<LatencyStats>> results, Map<String, List<String>> notes) {
        if (json) {
            System.out.println(Json.write(Map.of("benchmark", "start", "command", COMMAND, "runs", runs, "results", results,
                    "notes", notes)));
            return;
        }
        System.out.println("submit -> job process running (first output of '" + String.join(" ", COMMAND) + "'), " + runs
                + " runs per path, interleaved; warm target: p50 < 10 ms, p99 < 50 ms");
        results.forEach((runtime, stats) -> {
            System.out.println(runtime + ":");
            stats.forEach(s -> System.out.println("  " + s.line()));
            notes.getOrDefault(runtime, List.of()).forEach(note -> System.out.println("  " + note));
            LatencyStats raw = stats.get(0);
            if (raw.name().startsWith("raw")) {
                for (LatencyStats s : stats.subList(1, stats.size())) {
                    System.out.printf("  %-28s p50 %+.2f ms (x%.2f), p99 %+.2f ms (x%.2f) against %s%n", s.name(),
                            s.p50() - raw.p50(), s.p50() / raw.p50(), s.p99() - raw.p99(), s.p99() / raw.p99(), raw.name());
                }
            }
        });
    }

    /**
     * From process start to the first byte of the command's own output (stdout: a warning or an error on stderr is no
     * start); a run that printed anything else first, or failed, is no sample.
     */
    private static long firstOutput(List<String> argv) throws IOException, InterruptedException {
        Path errors = Files.createTempFile("hangar-bench-raw-", ".txt");
        try {
            long begin = System.nanoTime();
            Process process = new ProcessBuilder(argv).redirectError(errors.toFile()).start();
            try (InputStream out = process.getInputStream()) {
                int first = out.read();
                long elapsed = System.nanoTime() - begin;
                String printed = (first < 0 ? "" : (char) first) + new String(out.readAllBytes(), StandardCharsets.UTF_8);
                int exit = process.waitFor();
                if (exit != 0 || !printed.startsWith(COMMAND.get(1))) {
                    throw new IOException("baseline " + argv.get(0) + " exited " + exit + ", printing '" + printed.strip()
                            + "' where '" + COMMAND.get(1) + "' was meant: " + Files.readString(errors).strip());
                }
                return elapsed;
            }
        } finally {
            Files.deleteIfExists(errors);
        }
    }

    /** From POST /v1/jobs to the first chunk of its followed log. */
    private static long viaRest(HangarClient client, JobSpec spec) {
        long begin = System.nanoTime();
        Job job = client.submit(spec);
        long[] first = {0};
        client.logs(job.id(), true, 0, chunk -> {
            if (first[0] == 0) {
                first[0] = System.nanoTime() - begin;
            }
        });
        if (first[0] == 0) {
            throw new IllegalStateException("job " + job.id() + " printed nothing: " + client.get(job.id()).error());
        }
        return first[0];
    }

    /** From enqueue on the store to the first output the store is told of. */
    private static long inProcess(EmbeddedHangar hangar, JobSpec spec) throws Exception {
        // why: keyed by job id, so output stored before enqueue() returns is not missed
        var firstOutput = new ConcurrentHashMap<String, CompletableFuture<Long>>();
        try (AutoCloseable ignored = hangar.queue().subscribe(new QueueListener() {
            @Override
            public void logAppended(String id) {
                firstOutput.computeIfAbsent(id, k -> new CompletableFuture<>()).complete(System.nanoTime());
            }
        })) {
            long begin = System.nanoTime();
            String id = hangar.queue().enqueue(spec).job().id();
            try {
                return firstOutput.computeIfAbsent(id, k -> new CompletableFuture<>()).get(60, TimeUnit.SECONDS) - begin;
            } catch (java.util.concurrent.TimeoutException e) {
                throw new IllegalStateException("job " + id + " printed nothing in 60 s: "
                        + hangar.queue().get(id).map(Job::error).orElse("?"));
            }
        }
    }
}
