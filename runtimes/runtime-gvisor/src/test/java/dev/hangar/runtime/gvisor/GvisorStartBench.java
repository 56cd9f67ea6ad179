package dev.hangar.runtime.gvisor;

import static org.junit.jupiter.api.Assumptions.assumeTrue;

import dev.hangar.core.job.Resources;
import dev.hangar.core.json.Json;
import dev.hangar.core.runtime.ExitStatus;
import dev.hangar.core.runtime.NetworkMode;
import dev.hangar.core.runtime.OutputSink;
import dev.hangar.core.runtime.ProcessSpec;
import dev.hangar.core.runtime.RuntimeContext;
import dev.hangar.core.runtime.RuntimeProbe;
import dev.hangar.core.runtime.Sandbox;
import dev.hangar.core.runtime.SandboxSpec;
import dev.hangar.images.LocalImageStore;
import dev.hangar.runtime.support.Programs;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * How to start a gVisor sandbox, measured: runsc run directly on a bundle (what the driver does)
 * against Podman with runsc as its OCI runtime, on the same busybox root filesystem running
 * {@code true}, 20 runs each, interleaved, after two warm-up runs each; and the whole driver path
 * (create, exec, exit, destroy) for scale. A measurement, not a test: nothing is asserted about
 * time. Excluded from the build; run it with
 *
 * <pre>{@code ./mvnw -B -o -q -pl runtimes/runtime-gvisor test -Dhangar.excludedGroups= -Dgroups=bench -Dtest=GvisorStartBench}</pre>
 *
 * Podman runs on private storage under a temporary directory (never the host's), with a
 * containers.conf whose {@code default_ulimits = []}.
 *
 * <p>Measured 2026-11-23 (2 cores, runsc 2022-12-19, ptrace), p50 / p99 in ms: runsc run directly
 * 111 / 208; Podman with runsc 306 / 426; the whole driver path 131 / 150. Direct is kept.
 */
@Tag("bench")
class GvisorStartBench {
    private static final int RUNS = 20;
    private static final int WARMUP = 2;

    @TempDir
    Path dir;

    @Test
    void directRunscAgainstPodman() throws Exception {
        Path podman = Programs.find("podman").orElse(null);
        assumeTrue(podman != null, "podman not installed");
        var runtime = new GvisorRuntime(new RuntimeContext(dir, new LocalImageStore(dir.resolve("images"))));
        RuntimeProbe probe = runtime.probe();
        assumeTrue(probe.available(), () -> "gvisor unavailable: " + probe.reason());
        Path runsc = Programs.find("runsc").orElseThrow();
        Path rootfs = new LocalImageStore(dir.resolve("images")).resolve("busybox").rootfs().toAbsolutePath();

        // direct: the driver's own bundle and flags, without Hangar around it
        Path bundle = Files.createDirectories(dir.resolve("bundle"));
        Path state = Files.createDirectories(dir.resolve("runsc-state"));
        var spec = new SandboxSpec("bench", "busybox", Resources.defaults(), NetworkMode.NONE, List.of());
        Files.write(bundle.resolve("config.json"), Json.mapper().writeValueAsBytes(
                OciSpec.config(spec, rootfs, new ProcessSpec(List.of("true"), Map.of(), null))));
        var direct = new Runsc(runsc, state, runtime.platform());

        // podman: private storage, the busybox rootfs imported as an image
        Path conf = dir.resolve("containers.conf");
        Files.writeString(conf, "[containers]\ndefault_ulimits = []\n");
        List<String> podmanBase = List.of(podman.toString(), "--root", dir.resolve("podman-root").toString(),
                "--runroot", dir.resolve("podman-run").toString());
        Path tar = dir.resolve("busybox.tar");
        check(List.of("tar", "-C", rootfs.toString(), "-cf", tar.toString(), "."), conf);
        check(concat(podmanBase, "import", tar.toString(), "localhost/hangar-bench-busybox"), conf);
        List<String> podmanRun = concat(podmanBase, "run", "--rm", "--network", "none", "--runtime", runsc.toString(),
                "--runtime-flag", "network=none", "--runtime-flag", "platform=" + runtime.platform(),
                "localhost/hangar-bench-busybox", "true");

        var series = new LinkedHashMap<String, List<Double>>();
        series.put("runsc run (direct)", new ArrayList<>());
        series.put("podman run --runtime runsc", new ArrayList<>());
        series.put("hangar gvisor driver (create+exec+destroy)", new ArrayList<>());
        int counter = 0;
        try {
            for (int i = 0; i < WARMUP + RUNS; i++) {
                // why: rotate the order so no way is always first after a pause
                for (int k = 0; k < 3; k++) {
                    int which = (i + k) % 3;
                    String id = "bench-" + counter++;
                    double ms = switch (which) {
                        case 0 -> timed(direct.run(NetworkMode.NONE, bundle, id, null), conf);
                        case 1 -> timed(podmanRun, conf);
                        default -> timedDriver(runtime, id);
                    };
                    if (i >= WARMUP) {
                        new ArrayList<>(series.values()).get(which).add(ms);
                    }
                }
            }
        } finally {
            run(concat(podmanBase, "rmi", "-a", "-f"), conf);
            run(concat(podmanBase, "system", "reset", "-f"), conf);
        }
        var report = new StringBuilder();
        report.append(String.format(Locale.ROOT, "gVisor start, 'true' in busybox, %d runs each interleaved, platform %s, %s%n",
                RUNS, runtime.platform(), probe.attributes().getOrDefault("version", "runsc")));
        report.append(String.format(Locale.ROOT, "%-44s %8s %8s %8s %8s%n", "way", "p50 ms", "p99 ms", "min ms", "mean ms"));
        series.forEach((name, samples) -> {
            List<Double> sorted = samples.stream().sorted().toList();
            report.append(String.format(Locale.ROOT, "%-44s %8.1f %8.1f %8.1f %8.1f%n", name, percentile(sorted, 0.50),
                    percentile(sorted, 0.99), sorted.get(0), sorted.stream().mapToDouble(d -> d).average().orElse(0)));
        });
        System.out.print(report);
        Path out = Path.of("target", "gvisor-start-bench.txt");
        Files.createDirectories(out.getParent());
        Files.writeString(out, report);
    }

    /** Nearest rank. */
    private static double percentile(List<Double> sorted, double q) {
        int rank = (int) Math.ceil(q * sorted.size());
        return sorted.get(Math.max(0, Math.min(sorted.size() - 1, rank - 1)));
    }

    private static double timedDriver(GvisorRuntime runtime, String id) throws Exception {
        long begin = System.nanoTime();
        try (Sandbox sandbox = runtime.create(new SandboxSpec(id, "busybox", Resources.defaults(), NetworkMode.NONE,
                List.of()))) {
            ExitStatus status = sandbox.exec(new ProcessSpec(List.of("true"), Map.of(), null), OutputSink.discard())
                    .exit().get(60, TimeUnit.SECONDS);
            if (!status.success()) {
                throw new IllegalStateException("driver run of 'true' exited " + status.code());
            }
        }
        return (System.nanoTime() - begin) / 1e6;
    }

    private static double timed(List<String> argv, Path conf) throws IOException, InterruptedException {
        long begin = System.nanoTime();
        Runsc.Result result = run(argv, conf);
        double ms = (System.nanoTime() - begin) / 1e6;
        if (result.code() != 0) {
            throw new IllegalStateException(String.join(" ", argv) + " exited " + result.code() + ": " + result.output());
        }
        return ms;
    }

    private static void check(List<String> argv, Path conf) throws IOException, InterruptedException {
        Runsc.Result result = run(argv, conf);
        if (result.code() != 0) {
            throw new IllegalStateException(String.join(" ", argv) + " exited " + result.code() + ": " + result.output());
        }
    }

    private static Runsc.Result run(List<String> argv, Path conf) throws IOException, InterruptedException {
        var builder = new ProcessBuilder(argv).redirectErrorStream(true);
        builder.environment().put("CONTAINERS_CONF", conf.toString());
        Process process = builder.start();
        process.getOutputStream().close();
        byte[] out = process.getInputStream().readAllBytes();
        if (!process.waitFor(120, TimeUnit.SECONDS)) {
            process.destroyForcibly();
            throw new IOException(String.join(" ", argv) + " did not end");
        }
        return new Runsc.Result(process.exitValue(), new String(out).strip());
    }

    private static List<String> concat(List<String> base, String... more) {
        var all = new ArrayList<>(base);
        all.addAll(List.of(more));
        return all;
    }
}
