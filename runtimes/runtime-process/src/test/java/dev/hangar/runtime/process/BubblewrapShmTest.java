package dev.hangar.runtime.process;

import static org.assertj.core.api.Assertions.assertThat;

import dev.hangar.core.job.Resources;
import dev.hangar.core.runtime.ExitStatus;
import dev.hangar.core.runtime.NetworkMode;
import dev.hangar.core.runtime.ProcessSpec;
import dev.hangar.core.runtime.Sandbox;
import dev.hangar.core.runtime.SandboxSpec;
import dev.hangar.runtime.testkit.OutputCollector;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;

/** /dev/shm, which bwrap makes writable for the job, holds no more than the job's disk limit, as /work and /tmp. */
class BubblewrapShmTest extends ProcessRuntimeTest {
    @Test
    void sharedMemoryFilesAreHeldToTheDiskLimit() throws Exception {
        var resources = new Resources(null, null, null, 8L, null, null);
        var output = new OutputCollector();
        ExitStatus status;
        try (Sandbox sandbox = runtime.create(new SandboxSpec("shm-limit", null, resources, NetworkMode.NONE, List.of()))) {
            status = sandbox.exec(new ProcessSpec(List.of("sh", "-c",
                    "head -c 16777216 /dev/zero > /dev/shm/big 2>/dev/null; echo \"$? $(wc -c < /dev/shm/big)\""), Map.of(), null),
                    output).exit().get(30, TimeUnit.SECONDS);
        }

        assertThat(status.code()).as("%s", output).isZero();
        String[] said = output.stdoutText().trim().split("\\s+");
        assertThat(said[0]).as("status of writing 16 MiB").isNotEqualTo("0");
        // without the cap it took all 16 MiB: bwrap's /dev is a tmpfs of no size, held only by the memory limit
        assertThat(Long.parseLong(said[1])).as("bytes written: some, as it is writable, and no more")
                .isBetween(1L, 8L * 1024 * 1024);
    }
}
