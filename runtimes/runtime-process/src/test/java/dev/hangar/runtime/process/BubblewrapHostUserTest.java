package dev.hangar.runtime.process;

import static org.assertj.core.api.Assertions.assertThat;

import dev.hangar.core.job.Resources;
import dev.hangar.core.runtime.ExitStatus;
import dev.hangar.core.runtime.Mount;
import dev.hangar.core.runtime.NetworkMode;
import dev.hangar.core.runtime.ProcessSpec;
import dev.hangar.core.runtime.Sandbox;
import dev.hangar.core.runtime.SandboxSpec;
import dev.hangar.runtime.support.HostUser;
import dev.hangar.runtime.testkit.OutputCollector;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;

/** Who a job is on the host: no account's id under a root agent, the agent's own otherwise. */
class BubblewrapHostUserTest extends ProcessRuntimeTest {
    @Test
    void aJobsFilesInAWritableMountAreItsHostUsers() throws Exception {
        Path out = Files.createDirectories(dataDir.resolve("out"));
        Files.setPosixFilePermissions(out, PosixFilePermissions.fromString("rwxrwxrwx"));
        var output = new OutputCollector();
        try (Sandbox sandbox = runtime.create(new SandboxSpec("host-user", "busybox", Resources.defaults(),
                NetworkMode.NONE, List.of(new Mount(out.toString(), "/out", false))))) {
            ExitStatus status = sandbox.exec(new ProcessSpec(List.of("sh", "-c", ": > /out/made"), Map.of(), null), output)
                    .exit().get(30, TimeUnit.SECONDS);
            assertThat(status.code()).as("%s", output.describe()).isZero();
        }
        Path made = out.resolve("made");
        if (HostUser.root()) {
            assertThat(Files.getAttribute(made, "unix:uid")).as("host uid").isEqualTo(HostUser.JOBS_ID);
            assertThat(Files.getAttribute(made, "unix:gid")).as("host gid").isEqualTo(HostUser.JOBS_ID);
            assertThat(runtime.probe().attributes()).containsEntry("host user", "host uid and gid "
                    + HostUser.JOBS_ID);
        } else {
            assertThat(Files.getAttribute(made, "unix:uid")).as("host uid").isEqualTo(HostUser.uid());
        }
    }
}
