package dev.hangar.runtime.support;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Host processes as the spawner starts them. */
class SpawnerTest {
    /** The process group and session of a process, from its {@code /proc/<pid>/stat} (after the name's ')'). */
    private static List<String> groupAndSession(long pid) throws IOException {
        String stat = Files.readString(Path.of("/proc", Long.toString(pid), "stat"));
        String[] after = stat.substring(stat.lastIndexOf(')') + 2).split(" ");
        return List.of(after[2], after[3]);
    }

    @Test
    void aProcessStartsInASessionOfItsOwnSoThatASignalToTheNodesGroupMissesIt() throws Exception {
        Process process = Spawner.start(new ProcessBuilder("sleep", "30"));
        try {
            String pid = Long.toString(process.pid());
            // setsid has exec'd sleep once the process is named so; its session is set before
            await().atMost(Duration.ofSeconds(10)).until(() -> Files.readString(Path.of("/proc", pid, "comm")).strip(),
                    "sleep"::equals);
            // it used to share the JVM's group, so Ctrl-C at the node's terminal killed every sandbox before the
            // node could hand its jobs back
            assertThat(groupAndSession(process.pid())).containsExactly(pid, pid)
                    .doesNotContainAnyElementsOf(groupAndSession(ProcessHandle.current().pid()));
        } finally {
            process.destroyForcibly().waitFor();
        }
    }

    @Test
    void theProcessGetsTheBuildersDirectoryEnvironmentAndRedirectsAndItsExitIsTheCommands(@TempDir Path dir)
            throws Exception {
        Path out = dir.resolve("out");
        var builder = new ProcessBuilder("sh", "-c", "pwd; echo \"$HANGAR_SPAWN_TEST\"; echo oops >&2; exit 7")
                .directory(dir.toFile()).redirectOutput(out.toFile()).redirectErrorStream(true);
        builder.environment().put("HANGAR_SPAWN_TEST", "given");

        Process process = Spawner.start(builder);

        assertThat(process.waitFor()).isEqualTo(7);
        assertThat(Files.readAllLines(out)).containsExactly(dir.toRealPath().toString(), "given", "oops");
    }
}
