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
            assertThat(BubblewrapStatus.check(exit, file)).isEqualTo(exit);
            assertThat(file).as("deleted").doesNotExist();
        }
    }

    @Test
    void bwrapsOwnFailureIsTheJobsAndAFailedCgroupJoinTheHosts() throws Exception {
        assertThatThrownBy(() -> BubblewrapStatus.check(new ExitStatus(1, List.of()), status(STARTED)))
                .isInstanceOfSatisfying(SandboxException.class, e -> assertThat(e.isCausedByTheJob()).isTrue())
                .hasMessage(BubblewrapStatus.SETUP_FAILED);
        assertThatThrownBy(() -> BubblewrapStatus.check(new ExitStatus(CgroupJoin.CANNOT_JOIN, List.of()), status("")))
                .isInstanceOfSatisfying(SandboxException.class, e -> assertThat(e.isCausedByTheJob()).isFalse())
                .hasMessage(BubblewrapStatus.JOIN_FAILED);
    }

    @Test
    void aKilledBwrapWritesNoLineAndIsAsTheProcessSaid() throws Exception {
        var killed = new ExitStatus(137, List.of());
        assertThat(BubblewrapStatus.check(killed, status(STARTED))).isEqualTo(killed);
    }
}
