package dev.hangar.runtime.gvisor;

import static org.assertj.core.api.Assertions.assertThat;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import dev.hangar.core.job.Resources;
import dev.hangar.core.runtime.NetworkMode;
import dev.hangar.core.runtime.ProcessSpec;
import dev.hangar.core.runtime.RuntimeContext;
import dev.hangar.core.runtime.RuntimeProbe;
import dev.hangar.core.runtime.Sandbox;
import dev.hangar.core.runtime.SandboxSpec;
import dev.hangar.core.runtime.Snapshotting.Snapshot;
import dev.hangar.images.LocalImageStore;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.Callable;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Start paths of a gVisor job to its first output ({@code echo hi}), 30 runs each, interleaved,
 * after two warm-up rounds: cold (create, exec), warm (a prestarted sandbox whose launcher has
 * booted: exec only), restored on demand (restore, exec at once) and restored ahead (a restored
 * sandbox left to finish restoring: exec only); and the time to take a snapshot (boot, prepare,
 * checkpoint). A measurement, not a test. Excluded from the build; run it with
 *
 * <pre>{@code ./mvnw -B -o -q -pl runtimes/runtime-gvisor test -Dhangar.excludedGroups= -Dgroups=bench -Dtest=GvisorSnapshotBench}</pre>
 *
 * <p>Measured 2026-12-01 (2 cores, runsc 2022-12-19, ptrace, cgroup v1): see docs/runtimes.md.
 */
@Tag("bench")
class GvisorSnapshotBench {
    private static final int RUNS = 30;
    private static final int WARMUP = 2;
    /** How long a sandbox started ahead is left before its job comes (a pool's sandboxes wait far longer). */
    private static final long SETTLE_MS = 700;

    @TempDir
    Path dir;

    @Test
    void startPaths() throws Exception {
        var runtime = new GvisorRuntime(new RuntimeContext(dir, new LocalImageStore(dir.resolve("images"))));
        RuntimeProbe probe = runtime.probe();
        assumeTrue(probe.available() && runtime.snapshots().isPresent(), () -> "no gvisor snapshots: " + probe);
        var snapshots = (GvisorSnapshots) runtime.snapshots().orElseThrow();
        var series = new LinkedHashMap<String, List<Double>>();
        for (String name : List.of("snapshot (boot, prepare, checkpoint)", "cold: create + exec", "warm: exec",
                "restored on demand: restore + exec", "restored ahead: exec")) {
            series.put(name, new ArrayList<>());
        }
        var prepare = new ProcessSpec(List.of("sh", "-c", "echo prepared > /work/state"), Map.of(), null);
        Snapshot snapshot = null;
        for (int round = -WARMUP; round < RUNS; round++) {
            int i = round;
            long t0 = System.nanoTime();
            Snapshot taken = snapshots.snapshot(runtime.create(spec("template", i)), prepare, GvisorSnapshots.DEFAULT_PREPARE_BOUND);
            record(series, "snapshot (boot, prepare, checkpoint)", i, t0);
            if (snapshot == null) {
                snapshot = taken;
            } else {
                snapshots.delete(taken);
            }
            Snapshot from = snapshot;
            timeFirstOutput(series, "cold: create + exec", i, () -> runtime.create(spec("cold", i)), 0);
            timeFirstOutput(series, "warm: exec", i, () -> prestarted(runtime.create(spec("warm", i))), SETTLE_MS);
            timeFirstOutput(series, "restored on demand: restore + exec", i, () -> snapshots.restore(from, spec("rd", i)), 0);
            timeFirstOutput(series, "restored ahead: exec", i, () -> snapshots.restore(from, spec("ra", i)), SETTLE_MS);
        }
        var report = new StringBuilder(String.format(Locale.ROOT,
                "gVisor start paths to the first output of 'echo hi', %d runs each interleaved, platform %s, %s%n",
                RUNS, runtime.platform(), probe.attributes().getOrDefault("version", "runsc")));
        report.append(String.format(Locale.ROOT, "%-40s %8s %8s %8s%n", "path", "p50 ms", "p99 ms", "min ms"));
        series.forEach((name, samples) -> {
            List<Double> sorted = samples.stream().sorted().toList();
            report.append(String.format(Locale.ROOT, "%-40s %8.1f %8.1f %8.1f%n", name, rank(sorted, 0.50),
                    rank(sorted, 0.99), sorted.get(0)));
        });
        System.out.print(report);
        Path out = Path.of("target", "gvisor-snapshot-bench.txt");
        Files.createDirectories(out.getParent());
        Files.writeString(out, report);
    }

    private static SandboxSpec spec(String path, int round) {
        return new SandboxSpec("bench-" + path + "-" + (round + WARMUP), "busybox", Resources.defaults(),
                NetworkMode.NONE, List.of());
    }

    private static Sandbox prestarted(Sandbox sandbox) throws Exception {
        sandbox.prestart();
        return sandbox;
    }

    /**
     * Makes a sandbox with {@code make}; then, after {@code settleMs} (0: the clock includes {@code
     * make}), runs echo in it and records the time to its first output byte.
     */
    private static void timeFirstOutput(Map<String, List<Double>> series, String name, int round,
            Callable<Sandbox> make, long settleMs) throws Exception {
        long t0 = System.nanoTime();
        try (Sandbox sandbox = make.call()) {
            if (settleMs > 0) {
                Thread.sleep(settleMs);
                t0 = System.nanoTime();
            }
            var first = new CompletableFuture<Long>();
            var process = sandbox.exec(new ProcessSpec(List.of("echo", "hi"), Map.of(), null),
                    (stream, data, off, len) -> first.complete(System.nanoTime()));
            long t1 = first.get(60, TimeUnit.SECONDS);
            // a run counts only if echo really ran to its end in that sandbox
            assertThat(process.exit().get(60, TimeUnit.SECONDS).code()).as("echo in %s", name).isZero();
            if (round >= 0) {
                series.get(name).add((t1 - t0) / 1e6);
            }
        }
    }

    private static void record(Map<String, List<Double>> series, String name, int round, long t0) {
        if (round >= 0) {
            series.get(name).add((System.nanoTime() - t0) / 1e6);
        }
    }

    /** Nearest rank. */
    private static double rank(List<Double> sorted, double q) {
        int index = (int) Math.ceil(q * sorted.size()) - 1;
        return sorted.get(Math.max(0, Math.min(sorted.size() - 1, index)));
    }
}
