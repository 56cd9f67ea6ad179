package dev.hangar.runtime.gvisor;

import static org.assertj.core.api.Assertions.assertThat;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import dev.hangar.runtime.support.Limiter;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class ParkedLauncherTest {
    @TempDir
    Path dir;

    @Test
    void aLauncherTakenBeforeItsFifoLeavesNoneOfItsOwnInTheSandboxsBundle() throws Exception {
        Limiter limiter = Limiter.detect().orElse(null);
        assumeTrue(limiter != null, Limiter.UNAVAILABLE);
        assumeTrue(limiter instanceof Limiter.V1, "launchers are parked on cgroup v1 only");
        // a mkfifo that has looked the bundle up (its working directory) before the rename and makes
        // its FIFO after it, as a real one's lookup and create may fall on either side of the rename
        Path slowMkfifo = Files.writeString(dir.resolve("slow-mkfifo"), """
                #!/bin/sh
                cd "$(dirname "$3")" || exit 1
                sleep 1
                exec mkfifo "$1" "$2" "$(basename "$3")"
                """);
        Files.setPosixFilePermissions(slowMkfifo, PosixFilePermissions.fromString("rwx------"));
        Path pool = dir.resolve("bundles/pool");
        ParkedLauncher launcher = ParkedLauncher.start(limiter, "parked-test-" + ProcessHandle.current().pid(), pool,
                slowMkfifo);
        Path target = dir.resolve("bundles/sandbox");
        String adopted = "parked-test-sandbox-" + ProcessHandle.current().pid();
        try {
            Thread.sleep(200); // in its mkfifo's sleep by now
            var groups = launcher.adopt(adopted, dev.hangar.core.job.Resources.defaults());

            assertThat(launcher.adoptBundle(target, groups)).as("taken before its FIFO").isFalse();

            Thread.sleep(1500); // past the moment its mkfifo would have made the FIFO
            assertThat(target.resolve(GvisorSandbox.FIFO)).as("the sandbox makes its own FIFO there").doesNotExist();
        } finally {
            launcher.discard(adopted);
        }
    }
}
