package dev.hangar.cli;

import dev.hangar.agent.AgentConfig;
import dev.hangar.client.HangarClient;
import dev.hangar.core.job.Job;
import dev.hangar.core.job.JobSpec;
import dev.hangar.core.json.Json;
import dev.hangar.core.queue.QueueListener;
import java.io.IOException;
import java.io.InputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.Callable;
import java.util.concurrent.TimeUnit;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/**
 * {@code hangar bench start}: submit-to-first-output latency of the {@code process} runtime,
 * against raw {@code bwrap} running the same command, interleaved in one run so both see the same
 * machine. Three paths: raw bwrap; Hangar through its REST API (POST the job, follow its log);
 * Hangar in-process (enqueue on the store, wait for the first stored output).
 */
@Command(name = "start", description = "Submit-to-first-output latency: Hangar's process runtime vs raw bwrap.")
final class StartBenchmark implements Callable<Integer> {
    private static final List<String> COMMAND = List.of("echo", "hangar-bench");
    private static final List<String> RAW_BWRAP = List.of("bwrap", "--unshare-all", "--die-with-parent",
            "--ro-bind", "/usr", "/usr", "--symlink", "usr/bin", "/bin", "--symlink", "usr/lib", "/lib",
            "--symlink", "usr/lib64", "/lib64", "--proc", "/proc", "--dev", "/dev", "--");

    @Option(names = "--runs", defaultValue = "200", description = "Measured runs per path (default: ${DEFAULT-VALUE})")
    int runs;

    @Option(names = "--warmup", defaultValue = "30", description = "Unmeasured runs per path first (default: ${DEFAULT-VALUE})")
    int warmup;

    @Option(names = "--json", description = "Print the figures as JSON")
    boolean json;

    @Override
    public Integer call() throws Exception {
        if (runs < 1 || warmup < 0) {
            throw new IllegalArgumentException("--runs must be at least 1 and --warmup at least 0");
        }
        Path dataDir = Files.createTempDirectory("hangar-bench-");
        try (var hangar = EmbeddedHangar.start(dataDir, "127.0.0.1", 0, AgentConfig.forThisHost("bench"))) {
            var client = new HangarClient(hangar.url());
            long[] raw = new long[runs];
            long[] rest = new long[runs];
            long[] embedded = new long[runs];
            try (var progress = new Progress(System.err, () -> "benchmarking start latency")) {
                for (int i = -warmup; i < runs; i++) {
                    long r = rawBwrap();
                    long h = viaRest(client);
                    long e = inProcess(hangar);
                    if (i >= 0) {
                        raw[i] = r;
                        rest[i] = h;
                        embedded[i] = e;
                    }
                }
            }
            report(List.of(LatencyStats.of("raw bwrap", raw), LatencyStats.of("hangar process (REST)", rest),
                    LatencyStats.of("hangar process (in-process)", embedded)));
        } finally {
            try (var paths = Files.walk(dataDir)) {
                paths.sorted(java.util.Comparator.reverseOrder()).forEach(p -> p.toFile().delete());
            }
        }
        return 0;
    }

    private void report(List<LatencyStats> stats) {
        LatencyStats raw = stats.get(0);
        if (json) {
            System.out.println(Json.write(Map.of("benchmark", "start", "command", COMMAND, "results", stats)));
            return;
        }
        System.out.println("submit -> first output of '" + String.join(" ", COMMAND) + "', " + runs + " runs each, interleaved");
        for (LatencyStats s : stats) {
            System.out.println(s.line());
        }
        for (LatencyStats s : stats.subList(1, stats.size())) {
            System.out.printf("%-28s adds p50 %+.2f ms (x%.2f), p99 %+.2f ms (x%.2f) over raw bwrap%n", s.name(),
                    s.p50() - raw.p50(), s.p50() / raw.p50(), s.p99() - raw.p99(), s.p99() / raw.p99());
        }
    }

    /** From process start to the first byte of its output. */
    private static long rawBwrap() throws IOException, InterruptedException {
        var argv = new ArrayList<>(RAW_BWRAP);
        argv.addAll(COMMAND);
        long begin = System.nanoTime();
        Process process = new ProcessBuilder(argv).redirectErrorStream(true).start();
        try (InputStream out = process.getInputStream()) {
            if (out.read() < 0) {
                throw new IOException("raw bwrap printed nothing; is bubblewrap installed?");
            }
            long elapsed = System.nanoTime() - begin;
            out.readAllBytes();
            process.waitFor();
            return elapsed;
        }
    }

    /** From POST /v1/jobs to the first chunk of its followed log. */
    private static long viaRest(HangarClient client) {
        long begin = System.nanoTime();
        Job job = client.submit(JobSpec.builder().command(COMMAND).build());
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
    private static long inProcess(EmbeddedHangar hangar) throws Exception {
        // why: keyed by job id, so output stored before enqueue() returns is not missed
        var firstOutput = new ConcurrentHashMap<String, CompletableFuture<Long>>();
        try (AutoCloseable ignored = hangar.queue().subscribe(new QueueListener() {
            @Override
            public void logAppended(String id) {
                firstOutput.computeIfAbsent(id, k -> new CompletableFuture<>()).complete(System.nanoTime());
            }
        })) {
            long begin = System.nanoTime();
            String id = hangar.queue().enqueue(JobSpec.builder().command(COMMAND).build()).job().id();
            return firstOutput.computeIfAbsent(id, k -> new CompletableFuture<>()).get(30, TimeUnit.SECONDS) - begin;
        }
    }
}
