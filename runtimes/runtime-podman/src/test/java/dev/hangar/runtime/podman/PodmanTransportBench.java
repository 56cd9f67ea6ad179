package dev.hangar.runtime.podman;

import static org.junit.jupiter.api.Assumptions.assumeTrue;

import com.fasterxml.jackson.databind.JsonNode;
import dev.hangar.core.job.Resources;
import dev.hangar.core.runtime.ExitStatus;
import dev.hangar.core.runtime.NetworkMode;
import dev.hangar.core.runtime.OutputSink;
import dev.hangar.core.runtime.ProcessSpec;
import dev.hangar.core.runtime.RuntimeContext;
import dev.hangar.core.runtime.RuntimeProbe;
import dev.hangar.core.runtime.Sandbox;
import dev.hangar.core.runtime.SandboxSpec;
import dev.hangar.images.LocalImageStore;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.UUID;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The two ways of driving Podman, timed on this host: one {@code podman} CLI process per call, and
 * the libpod REST API of a {@code podman system service} on a Unix socket. Same busybox image, same
 * container settings, {@code true}, interleaved runs; whole start-to-exit time of a sandbox. A
 * measurement, not a test: it asserts nothing about time. Run it with
 * <pre>./mvnw -B -o test -pl runtimes/runtime-podman -Dgroups=bench -DexcludedGroups= -Dtest=PodmanTransportBench</pre>
 *
 * <ul>
 *   <li>{@code cli run --rm}: one {@code podman run --rm -i IMAGE true}, the job as the container's
 *       first process. Cannot report the pids limit: its cgroup is gone when the command returns.</li>
 *   <li>{@code cli run -d + exec + rm}: the driver's model (a pause process holds the container,
 *       the job is an exec session) through three CLI calls.</li>
 *   <li>{@code api run-once}: the first model through the API: create, attach, start, wait, delete.</li>
 *   <li>{@code api driver}: the driver as it is: create(), exec("true"), exit(); and on to the end of
 *       destroy(), which waits for the container's removal (exit() does not).</li>
 * </ul>
 */
@Tag("bench")
class PodmanTransportBench {
    private static final int RUNS = Integer.getInteger("bench.runs", 20);
    private static final int WARMUP = 3;

    @TempDir
    Path dataDir;

    /** One way to run {@code true}; returns the nanoseconds it measured. */
    private interface Way {
        long run() throws Exception;
    }

    private interface Step {
        void run() throws Exception;
    }

    private static Way timed(Step step) {
        return () -> {
            long begin = System.nanoTime();
            step.run();
            return System.nanoTime() - begin;
        };
    }

    @Test
    void cliAgainstApi() throws Exception {
        var store = new LocalImageStore(dataDir.resolve("images"));
        try (var runtime = new PodmanRuntime(new RuntimeContext(dataDir, store))) {
            RuntimeProbe probe = runtime.probe();
            assumeTrue(probe.available(), probe.reason());
            String image = PodmanImages.reference(store.root(), store.resolve("busybox"));
            Path conf = dataDir.resolve("podman").resolve("containers.conf");
            var api = new UnixHttp(PodmanRuntime.socketPath(dataDir.resolve("podman").toAbsolutePath()));
            Resources resources = Resources.defaults();

            var paths = new LinkedHashMap<String, Way>();
            paths.put("cli run --rm", timed(() -> cli(conf, concat(List.of("run", "--rm", "-i"), flags(resources),
                    List.of(image, "true")))));
            paths.put("cli run -d + exec + rm", timed(() -> {
                String id = cli(conf, concat(List.of("run", "-d"), flags(resources), List.of("-v",
                        "/usr/bin/catatonit:" + ContainerSpec.INIT + ":ro", "--entrypoint", ContainerSpec.INIT, image, "-P"))).strip();
                cli(conf, List.of("exec", "-i", id, "true"));
                cli(conf, List.of("rm", "-f", "-t", "0", id));
            }));
            paths.put("api run-once", timed(() -> apiRunOnce(api, resources, image)));
            paths.put("api driver, to exit()", () -> driver(runtime, resources, false));
            paths.put("api driver, to destroy()", () -> driver(runtime, resources, true));

            var samples = new LinkedHashMap<String, long[]>();
            paths.keySet().forEach(name -> samples.put(name, new long[RUNS]));
            for (int i = -WARMUP; i < RUNS; i++) {
                for (var path : paths.entrySet()) {
                    long elapsed = path.getValue().run();
                    if (i >= 0) {
                        samples.get(path.getKey())[i] = elapsed;
                    }
                }
            }
            System.out.printf(Locale.ROOT, "podman %s, busybox 'true', %d runs each, interleaved, start to exit:%n",
                    probe.attributes().get("podman"), RUNS);
            samples.forEach((name, nanos) -> System.out.printf(Locale.ROOT, "  %-28s p50 %6.1f ms   p99 %6.1f ms%n",
                    name, percentile(nanos, 50), percentile(nanos, 99)));
        }
    }

    /** create(), exec("true"), exit(): timed to exit() or to the end of destroy(), which waits for removal. */
    private static long driver(PodmanRuntime runtime, Resources resources, boolean untilDestroyed) throws Exception {
        long begin = System.nanoTime();
        Sandbox sandbox = runtime.create(new SandboxSpec("bench-" + UUID.randomUUID(), "busybox", resources,
                NetworkMode.NONE, List.of()));
        try {
            ExitStatus status = sandbox.exec(new ProcessSpec(List.of("true"), Map.of(), null), OutputSink.discard())
                    .exit().get(60, TimeUnit.SECONDS);
            if (status.code() != 0) {
                throw new IOException("true exited " + status.code());
            }
            if (!untilDestroyed) {
                return System.nanoTime() - begin;
            }
        } finally {
            sandbox.destroy();
        }
        return System.nanoTime() - begin;
    }

    /** The container settings the driver gives a sandbox, as CLI flags. */
    private static List<String> flags(Resources r) {
        String tmpfs = ":rw,exec,nosuid,nodev,notmpcopyup,U,size=" + r.diskMb() + "m";
        return List.of("--read-only", "--network", "none", "--cap-drop", "all", "--security-opt", "no-new-privileges",
                "--user", ContainerSpec.USER, "-w", ContainerSpec.WORKDIR, "--memory", r.memoryMb() + "m",
                "--memory-swap", r.memoryMb() + "m", "--cpus", Double.toString(r.cpus()),
                "--pids-limit", Integer.toString(r.pids() + 1), "--tmpfs", "/tmp" + tmpfs, "--tmpfs", ContainerSpec.WORKDIR + tmpfs,
                "-e", "PATH=" + ContainerSpec.PATH);
    }

    private static String cli(Path conf, List<String> args) throws IOException, InterruptedException {
        var command = new ArrayList<>(List.of("podman"));
        command.addAll(args);
        var builder = new ProcessBuilder(command).redirectErrorStream(true);
        builder.environment().put("CONTAINERS_CONF", conf.toString());
        Process process = builder.start();
        process.getOutputStream().close();
        String out = new String(process.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        if (process.waitFor() != 0) {
            throw new IOException("podman " + args + " exited " + process.exitValue() + ": " + out);
        }
        return out;
    }

    /** create with the job as the first process, attach (hijacked, as the driver's exec), start, wait, delete. */
    private static void apiRunOnce(UnixHttp api, Resources resources, String image) throws Exception {
        var spec = new SandboxSpec("bench-" + UUID.randomUUID(), "busybox", resources, NetworkMode.NONE, List.of());
        Map<String, Object> body = new LinkedHashMap<>(ContainerSpec.container(spec, image, "/usr/bin/catatonit", "0@0",
                p -> false));
        body.put("entrypoint", List.of());
        body.put("command", List.of("true"));
        body.put("mounts", ((List<?>) body.get("mounts")).subList(1, 3)); // the tmpfs mounts, not the pause process
        String prefix = "/v4.0.0/libpod/containers/";
        UnixHttp.Response created = api.send("POST", prefix + "create", "application/json",
                Libpod.JSON.writeValueAsBytes(body), Duration.ofSeconds(60));
        String id = Libpod.JSON.readTree(created.body()).path("Id").asText();
        try (UnixHttp.Upgraded attached = api.upgrade("POST", prefix + id + "/attach?stream=true&stdout=true&stderr=true",
                new byte[0], Duration.ofSeconds(60))) {
            api.send("POST", prefix + id + "/start", null, null, Duration.ofSeconds(60));
            PodmanProcess.demultiplex(attached.input(), OutputSink.discard());
        }
        JsonNode code = Libpod.JSON.readTree(api.send("POST", prefix + id + "/wait?condition=exited&interval=5ms", null, null,
                Duration.ofSeconds(60)).body());
        api.send("DELETE", prefix + id + "?force=true&timeout=0", null, null, Duration.ofSeconds(60));
        if (code.asInt(-1) != 0) {
            throw new IOException("run-once exited " + code);
        }
    }

    @SafeVarargs
    private static List<String> concat(List<String>... parts) {
        var all = new ArrayList<String>();
        for (List<String> part : parts) {
            all.addAll(part);
        }
        return all;
    }

    private static double percentile(long[] nanos, int p) {
        long[] sorted = nanos.clone();
        Arrays.sort(sorted);
        int rank = (int) Math.ceil(p / 100.0 * sorted.length);
        return sorted[Math.max(0, rank - 1)] / 1e6;
    }
}
