package dev.hangar.runtime.support;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.hangar.core.runtime.ExitStatus;
import dev.hangar.core.runtime.SandboxException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The join script through the host's real {@code /bin/sh}, on plain files standing in for a
 * group's {@code cgroup.procs}: a join that fails is told from a command that exits 125 itself.
 */
class CgroupJoinTest {
    @TempDir
    Path dir;

    /** Groups whose procs files are these paths. */
    private static Cgroup groups(Path... procs) {
        return new Cgroup() {
            @Override
            public List<Path> procsFiles() {
                return List.of(procs);
            }

            @Override
            public List<String> limitsHit() {
                return List.of();
            }

            @Override
            public void killAll() {}

            @Override
            public void remove() {}
        };
    }

    private static int run(List<String> argv) throws Exception {
        Process process = new ProcessBuilder(argv).redirectErrorStream(true).redirectOutput(ProcessBuilder.Redirect.DISCARD)
                .start();
        assertThat(process.waitFor(10, TimeUnit.SECONDS)).isTrue();
        return process.exitValue();
    }

    @Test
    void aCommandThatExits125ItselfKeepsItsCodeAndEachGroupHoldsTheShellThatBecameIt() throws Exception {
        Path memory = Files.createFile(dir.resolve("memory.procs"));
        Path pids = Files.createFile(dir.resolve("pids.procs"));
        Path mark = dir.resolve("join-failed");

        int code = run(CgroupJoin.wrapMarkingFailure(groups(memory, pids), mark,
                List.of("/bin/sh", "-c", "echo $$ > \"$0\"; exit 125", dir.resolve("command.pid").toString())));

        assertThat(code).isEqualTo(CgroupJoin.CANNOT_JOIN);
        assertThat(mark).doesNotExist();
        String commandPid = Files.readString(dir.resolve("command.pid")).strip();
        assertThat(Files.readString(memory).strip()).as("joined by the process that became the command").isEqualTo(commandPid);
        assertThat(Files.readString(pids).strip()).isEqualTo(commandPid);
        ExitStatus status = new ExitStatus(code, List.of());
        assertThat(CgroupJoin.check(status, mark)).isEqualTo(status);
    }

    @Test
    void aGroupThatCannotBeJoinedMarksTheFailureAndTheCommandNeverStarts() throws Exception {
        Path memory = Files.createFile(dir.resolve("memory.procs"));
        Path gone = dir.resolve("no-such-group").resolve("cgroup.procs");
        Path mark = dir.resolve("join-failed");
        Path started = dir.resolve("started");

        int code = run(CgroupJoin.wrapMarkingFailure(groups(memory, gone), mark, List.of("/bin/touch", started.toString())));

        assertThat(code).isEqualTo(CgroupJoin.CANNOT_JOIN);
        assertThat(mark).exists();
        assertThat(started).as("the command").doesNotExist();
        assertThatThrownBy(() -> CgroupJoin.check(new ExitStatus(code, List.of()), mark))
                .isInstanceOf(SandboxException.class)
                .hasMessage(CgroupJoin.JOIN_FAILED)
                .matches(e -> !((SandboxException) e).isCausedByTheJob(), "the host's fault, not the job's");
    }
}
