package dev.hangar.runtime.process;

import static org.assertj.core.api.Assertions.assertThat;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import dev.hangar.core.job.Resources;
import dev.hangar.core.runtime.ExitStatus;
import dev.hangar.core.runtime.NetworkMode;
import dev.hangar.core.runtime.ProcessSpec;
import dev.hangar.core.runtime.RuntimeContext;
import dev.hangar.images.LocalImageStore;
import dev.hangar.core.runtime.Sandbox;
import dev.hangar.core.runtime.SandboxProcess;
import dev.hangar.core.runtime.SandboxSpec;
import dev.hangar.runtime.testkit.OutputCollector;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicReference;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Regression: bwrap --die-with-parent fires when the thread that forked it ends, so a sandbox
 * started from a short-lived thread (a virtual thread's carrier, a finished worker) must survive it.
 */
class BubblewrapSpawnThreadTest {
    @TempDir
    Path dataDir;

    @Test
    void aSandboxOutlivesTheThreadThatStartedIt() throws Exception {
        var runtime = new BubblewrapRuntime(new RuntimeContext(dataDir, new LocalImageStore(dataDir.resolve("images"))));
        var probe = runtime.probe();
        assumeTrue(probe.available(), () -> "process runtime unavailable: " + probe.reason());
        var output = new OutputCollector();
        try (Sandbox sandbox = runtime.create(new SandboxSpec("spawn-thread-test", null, Resources.defaults(),
                NetworkMode.NONE, List.of()))) {
            var started = new AtomicReference<SandboxProcess>();
            Thread starter = Thread.ofPlatform().start(() -> {
                try {
                    started.set(sandbox.exec(new ProcessSpec(List.of("sh", "-c", "sleep 1; echo survived"), Map.of(), null),
                            output));
                } catch (Exception e) {
                    throw new IllegalStateException(e);
                }
            });
            starter.join();

            ExitStatus status = started.get().exit().get(30, TimeUnit.SECONDS);

            assertThat(status.code()).as("exit code; 137 means the sandbox died with its starting thread").isZero();
            assertThat(output.stdoutText()).contains("survived");
        }
    }
}
