package dev.hangar.runtime.gvisor;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.hangar.core.runtime.ExitStatus;
import dev.hangar.core.runtime.SandboxException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** runsc's own failures told from its container's exit, on error logs as runsc 20221219 writes them. */
class RunscFailureTest {
    private static final String ROOT_FS_MISSING = "{\"msg\":\"Error setting up root FS: mounting root on root"
            + " (\\\"/proc/root\\\") err: no such file or directory\",\"level\":\"error\",\"time\":\"2026-12-02T19:26:34.679Z\"}"
            + "{\"msg\":\"running container: creating container: cannot create sandbox: cannot read client sync file:"
            + " waiting for sandbox to start: EOF\",\"level\":\"error\",\"time\":\"2026-12-02T19:26:34.734Z\"}";
    private static final String COMMAND_MISSING = "{\"msg\":\"running container: starting container: starting root"
            + " container: starting sandbox: creating process: failed to load /nonexistent: no such file or directory\","
            + "\"level\":\"error\",\"time\":\"2026-12-02T19:26:34.255Z\"}\n";

    @TempDir
    Path bundle;

    private Path log(String text) throws Exception {
        return Files.writeString(RunscFailure.file(bundle), text);
    }

    @Test
    void aContainerThatExits128ItselfKeepsItsCode() throws Exception {
        var exited = new ExitStatus(128, List.of());
        assertThat(RunscFailure.check(exited, RunscFailure.file(bundle))).isEqualTo(exited);
        assertThat(RunscFailure.check(exited, log(""))).isEqualTo(exited);
    }

    @Test
    void runscsOwnFailureIsTheRuntimesWithWhatItSaidFirstAndLast() throws Exception {
        assertThatThrownBy(() -> RunscFailure.check(new ExitStatus(128, List.of()), log(ROOT_FS_MISSING)))
                .isInstanceOfSatisfying(SandboxException.class, e -> assertThat(e.isCausedByTheJob()).isFalse())
                .hasMessage("runsc failed (exit code 128): running container: creating container: cannot create sandbox:"
                        + " cannot read client sync file: waiting for sandbox to start: EOF (first: Error setting up root FS:"
                        + " mounting root on root (\"/proc/root\") err: no such file or directory)");
    }

    @Test
    void aProgramTheSandboxDoesNotHaveEndsWith127AsInAShell() throws Exception {
        assertThat(RunscFailure.check(new ExitStatus(128, List.of()), log(COMMAND_MISSING))).isEqualTo(new ExitStatus(127, List.of()));
    }

    @Test
    void aProgramTheSandboxCannotRunEndsWith126AsInAShell() throws Exception {
        String notRunnable = COMMAND_MISSING.replace("/nonexistent: no such file or directory", "/etc/passwd: permission denied");
        assertThat(RunscFailure.check(new ExitStatus(128, List.of()), log(notRunnable))).isEqualTo(new ExitStatus(126, List.of()));
    }

    @Test
    void aCommandNotInTheImagesPathEndsWith127AsInAShell() throws Exception {
        String notInPath = "{\"msg\":\"running container: starting container: starting root container: starting sandbox:"
                + " error finding executable \\\"hangar-no-such-cmd\\\" in PATH [/usr/local/sbin /usr/bin /bin]: no such file"
                + " or directory\",\"level\":\"error\",\"time\":\"2026-12-02T19:33:54.177Z\"}";
        assertThat(RunscFailure.check(new ExitStatus(128, List.of()), log(notInPath))).isEqualTo(new ExitStatus(127, List.of()));
    }

    @Test
    void anExitOtherThanRunscsOwnOrASandboxAtALimitIsTheJobsWhateverTheLogSays() throws Exception {
        Path log = log(ROOT_FS_MISSING);
        var killed = new ExitStatus(137, List.of());
        assertThat(RunscFailure.check(killed, log)).isEqualTo(killed);
        var atItsLimit = new ExitStatus(128, List.of("memory limit 64 MiB reached (OOM kill)"));
        assertThat(RunscFailure.check(atItsLimit, log)).isEqualTo(atItsLimit);
    }

    @Test
    void aCommandTheSandboxCouldNotLoadForItsOwnReasonsIsTheRuntimes() throws Exception {
        String ioError = "{\"msg\":\"running container: starting container: starting root container: starting sandbox:"
                + " creating process: failed to load /bin/sh: input/output error\",\"level\":\"error\"}";
        assertThatThrownBy(() -> RunscFailure.check(new ExitStatus(128, List.of()), log(ioError)))
                .isInstanceOfSatisfying(SandboxException.class, e -> assertThat(e.isCausedByTheJob()).isFalse())
                .hasMessageContaining("input/output error");
    }

    @Test
    void memoryReclaimedAtItsLimitDoesNotHideRunscsFailure() throws Exception {
        var reclaimed = new ExitStatus(128, List.of("memory limit 64 MiB reached 3 times (memory was reclaimed; no OOM kill)"));
        assertThatThrownBy(() -> RunscFailure.check(reclaimed, log(ROOT_FS_MISSING))).isInstanceOf(SandboxException.class);
        var forksRefused = new ExitStatus(128, List.of("pids limit 8 reached (2 forks refused)"));
        assertThat(RunscFailure.check(forksRefused, log(ROOT_FS_MISSING))).isEqualTo(forksRefused);
    }

    @Test
    void aLogThatIsNotJsonStillSaysRunscFailed() throws Exception {
        assertThatThrownBy(() -> RunscFailure.check(new ExitStatus(128, List.of()), log("unknown platform: x\n")))
                .isInstanceOf(SandboxException.class).hasMessage("runsc failed (exit code 128): unknown platform: x");
    }
}
