package dev.hangar.runtime.gvisor;

import dev.hangar.core.job.Resources;
import dev.hangar.core.runtime.NetworkMode;
import dev.hangar.core.runtime.ProcessSpec;
import dev.hangar.core.runtime.RuntimeContext;
import dev.hangar.core.runtime.Sandbox;
import dev.hangar.core.runtime.SandboxSpec;
import dev.hangar.images.LocalImageStore;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Where the driver's start time goes: {@code create} against {@code exec} to the first output of
 * {@code echo}, 40 runs after 5 warm-up ones. A measurement, not a test: nothing is asserted.
 * Excluded from the build; run it with
 *
 * <pre>{@code ./mvnw -B -o -q -pl runtimes/runtime-gvisor test -Dhangar.excludedGroups= -Dgroups=bench -Dtest=GvisorStepBench}</pre>
 *
 * <p>Measured 2026-11-23 (2 cores, runsc 2022-12-19, ptrace, cgroup v1), p50, before launchers
 * were parked: create 1.4 to 2.8 ms,
 * exec to first output 116 to 124 ms, against about 104 ms for runsc run alone. Most of the
 * difference is the sh of {@code CgroupJoin} moving itself into the three v1 cgroups before it
 * execs runsc: runsc run behind that sh costs 5 to 16 ms more than without it, the same sh with no
 * cgroups to join about 1 ms. With the launcher parked ahead of time ({@link ParkedLauncher}),
 * its groups joined: create 3.4 ms, exec to first output 104.7 ms; with its bundle directory and
 * FIFO made ahead too (no mkfifo spawn in create): create 1.4 ms, exec to first output 99.9 ms.
 */
@Tag("bench")
class GvisorStepBench {
    @TempDir
    Path dir;

    @Test
    void steps() throws Exception {
        var runtime = new GvisorRuntime(new RuntimeContext(dir, new LocalImageStore(dir.resolve("images"))));
        runtime.probe();
        int runs = Integer.getInteger("runs", 40);
        double[] create = new double[runs];
        double[] first = new double[runs];
        for (int i = -5; i < runs; i++) {
            long t0 = System.nanoTime();
            try (Sandbox s = runtime.create(new SandboxSpec("st-" + i, "busybox", Resources.defaults(), NetworkMode.NONE, List.of()))) {
                long t1 = System.nanoTime();
                var out = new CompletableFuture<Long>();
                var p = s.exec(new ProcessSpec(List.of("echo", "hi"), Map.of(), null), (st, d, o, l) -> out.complete(System.nanoTime()));
                long t2 = out.get(30, TimeUnit.SECONDS);
                p.exit().get(30, TimeUnit.SECONDS);
                if (i >= 0) {
                    create[i] = (t1 - t0) / 1e6;
                    first[i] = (t2 - t1) / 1e6;
                }
            }
        }
        java.util.Arrays.sort(create);
        java.util.Arrays.sort(first);
        System.out.printf("STEP create p50 %.1f  exec->first output p50 %.1f (min %.1f)%n", create[runs / 2], first[runs / 2], first[0]);
    }
}
