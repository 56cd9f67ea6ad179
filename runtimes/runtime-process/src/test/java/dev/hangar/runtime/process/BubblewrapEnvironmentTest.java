package dev.hangar.runtime.process;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import dev.hangar.core.job.Resources;
import dev.hangar.core.runtime.ExitStatus;
import dev.hangar.core.runtime.NetworkMode;
import dev.hangar.core.runtime.ProcessSpec;
import dev.hangar.core.runtime.Sandbox;
import dev.hangar.core.runtime.SandboxSpec;
import dev.hangar.runtime.testkit.OutputCollector;
import dev.hangar.core.runtime.SandboxProcess;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;

/**
 * A job's environment is its sandbox's alone: the host-side programs that set the sandbox up (the
 * cgroup join's shell and bwrap, as the agent's user) never see it, so a variable the dynamic
 * loader reads (LD_PRELOAD, LD_LIBRARY_PATH) cannot run the job's code outside its sandbox; and
 * its values, which may be secrets, are on no command line any user of the host may read.
 */
class BubblewrapEnvironmentTest extends ProcessRuntimeTest {
    @Test
    void theValuesOfAJobsVariablesShowInNoCommandLineOnTheHost() throws Exception {
        String secret = "hangar-secret-" + UUID.randomUUID();
        var output = new OutputCollector();
        try (Sandbox sandbox = runtime.create(new SandboxSpec("env-not-listed", null, Resources.defaults(),
                NetworkMode.NONE, List.of()))) {
            SandboxProcess process = sandbox.exec(new ProcessSpec(List.of("sh", "-c", "echo \"$TOKEN\"; sleep 30"),
                    Map.of("TOKEN", secret), null), output);
            try {
                await().atMost(Duration.ofSeconds(30)).until(() -> output.stdoutText().contains(secret));
                assertThat(commandLinesWith(secret)).as("host processes whose command line holds the value").isEmpty();
            } finally {
                process.kill();
            }
        }
    }

    private static List<String> commandLinesWith(String text) throws IOException {
        try (Stream<Path> entries = Files.list(Path.of("/proc"))) {
            return entries.filter(dir -> dir.getFileName().toString().chars().allMatch(Character::isDigit))
                    .map(dir -> {
                        try {
                            return new String(Files.readAllBytes(dir.resolve("cmdline")), StandardCharsets.UTF_8).replace('\0', ' ');
                        } catch (IOException e) {
                            return ""; // gone meanwhile
                        }
                    }).filter(line -> line.contains(text)).toList();
        }
    }

    @Test
    void theLoaderVariablesOfAJobReachOnlyTheProgramsInItsSandbox() throws Exception {
        var output = new OutputCollector();
        try (Sandbox sandbox = runtime.create(new SandboxSpec("env-stays-inside", null, Resources.defaults(),
                NetworkMode.NONE, List.of()))) {
            // LD_DEBUG=libs: every dynamically linked program the loader starts says so on stderr
            ExitStatus status = sandbox.exec(new ProcessSpec(List.of("sh", "-c", "echo \"$LD_DEBUG $HOME\""),
                    Map.of("LD_DEBUG", "libs"), null), output).exit().get(30, TimeUnit.SECONDS);

            assertThat(status.code()).isZero();
            assertThat(output.stdoutText()).as("the job sees its own and the sandbox's variables").isEqualTo("libs /work\n");
            List<String> started = output.stderrText().lines().filter(line -> line.contains("initialize program:"))
                    .map(line -> line.substring(line.indexOf("initialize program:"))).toList();
            assertThat(started).as("programs the loader started under the job's LD_DEBUG")
                    .containsExactly("initialize program: sh");
        }
    }
}
