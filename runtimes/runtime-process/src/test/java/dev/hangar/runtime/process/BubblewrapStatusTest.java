package dev.hangar.runtime.process;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.hangar.core.runtime.ExitStatus;
import dev.hangar.core.runtime.SandboxException;
import dev.hangar.runtime.support.CgroupJoin;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.Test;

/** How an exit code reads beside bwrap's JSON status, as bwrap 0.8 writes it. */
class BubblewrapStatusTest {
    private static final String STARTED = "{ \"child-pid\": 3742, \"mnt-namespace\": 4026532178 }\n";
    private static final String RAN = STARTED + "{ \"exit-code\": %d }\n";

    private static Path status(String text) throws Exception {
        Path file = BubblewrapStatus.file();
        Files.writeString(file, text);
        return file;
    }

    @Test
    void aProgramThatRanKeepsItsExitCodeWhateverItIs() throws Exception {
        for (int code : List.of(0, 1, CgroupJoin.CANNOT_JOIN, 137)) {
            var exit = new ExitStatus(code, List.of());
            Path file = status(RAN.formatted(code));
            assertThat(BubblewrapStatus.check(exit, file, "")).isEqualTo(exit);
            assertThat(file).as("deleted").doesNotExist();
        }
    }

    @Test
    void bwrapsOwnFailureIsTheJobsAndAFailedCgroupJoinTheHosts() throws Exception {
        assertThatThrownBy(() -> BubblewrapStatus.check(new ExitStatus(1, List.of()), status(STARTED),
                "bwrap: Can't mount proc on /newroot/proc: Operation not permitted\n"))
                .isInstanceOfSatisfying(SandboxException.class, e -> assertThat(e.isCausedByTheJob()).isTrue())
                .hasMessage(BubblewrapStatus.SETUP_FAILED);
        assertThatThrownBy(() -> BubblewrapStatus.check(new ExitStatus(CgroupJoin.CANNOT_JOIN, List.of()), status(""), ""))
                .isInstanceOfSatisfying(SandboxException.class, e -> assertThat(e.isCausedByTheJob()).isFalse())
                .hasMessage(BubblewrapStatus.JOIN_FAILED);
    }

    @Test
    void aProgramBwrapCouldNotExecEndsAsInAShell127NotFoundAnd126NotRunnable() throws Exception {
        var one = new ExitStatus(1, List.of("memory"));
        assertThat(BubblewrapStatus.check(one, status(STARTED), "bwrap: execvp /no/such: No such file or directory\n"))
                .isEqualTo(new ExitStatus(127, List.of("memory")));
        assertThat(BubblewrapStatus.check(one, status(STARTED), "earlier\nbwrap: execvp /etc/passwd: Permission denied\n"))
                .isEqualTo(new ExitStatus(126, List.of("memory")));
        // a program that ran and said the same is its own exit
        assertThat(BubblewrapStatus.check(one, status(RAN.formatted(1)), "bwrap: execvp x: No such file or directory\n"))
                .isEqualTo(one);
    }

    @Test
    void aKilledBwrapWritesNoLineAndIsAsTheProcessSaid() throws Exception {
        var killed = new ExitStatus(137, List.of());
        assertThat(BubblewrapStatus.check(killed, status(STARTED), "")).isEqualTo(killed);
    }
}
