package dev.hangar.runtime.support;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.catchThrowable;

import dev.hangar.core.runtime.ExitStatus;
import dev.hangar.core.runtime.OutputSink;
import dev.hangar.core.runtime.ProcessSpec;
import dev.hangar.core.runtime.SandboxException;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;

/** A warm launcher's exit is looked at as the driver's cold start would look at it. */
class HostLauncherTest {
    @Test
    void theDriversExitCheckTellsTheRuntimesOwnFailureFromTheJobsExitAsOnAColdStart() throws Exception {
        HostProcess.ExitCheck runtimesOwn = status -> {
            if (status.code() == 128) {
                throw new SandboxException("the runtime failed under the job");
            }
            return status;
        };
        Throwable failed = catchThrowable(() -> exitOf(List.of("sh", "-c", "exit 128"), runtimesOwn));
        assertThat(failed).isInstanceOf(ExecutionException.class).cause().isInstanceOf(SandboxException.class)
                .hasMessage("the runtime failed under the job");
        assertThat(exitOf(List.of("sh", "-c", "exit 3"), runtimesOwn).code()).isEqualTo(3);
    }

    @Test
    void aLauncherThatEndsBeforeItIsReadySaysWhatTheDriversCheckSaid() throws Exception {
        HostProcess.ExitCheck runtimesOwn = status -> {
            throw new SandboxException("runsc failed: the platform is gone");
        };
        var launcher = new HostLauncher(new ProcessBuilder("sh", "-c", "exit 128").start(), Cgroup.none(), List.of(),
                runtimesOwn);
        Throwable failed = catchThrowable(() -> launcher.ready().get(30, TimeUnit.SECONDS));
        assertThat(failed).isInstanceOf(ExecutionException.class).cause()
                .hasMessageContaining("the launcher ended first").hasMessageContaining("runsc failed: the platform is gone");
    }

    private static ExitStatus exitOf(List<String> job, HostProcess.ExitCheck check) throws Exception {
        var launcher = new HostLauncher(new ProcessBuilder(LauncherScript.command("t")).start(), Cgroup.none(), List.of(),
                check);
        launcher.ready().get(30, TimeUnit.SECONDS);
        return launcher.run(new ProcessSpec(job, Map.of(), null), OutputSink.discard()).exit().get(30, TimeUnit.SECONDS);
    }
}
