package dev.hangar.runtime.support;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.hangar.core.runtime.ProcessSpec;
import dev.hangar.core.runtime.SandboxException;
import java.io.ByteArrayOutputStream;
import java.io.OutputStream;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;

/** The launcher's protocol, run through the host's real {@code /bin/sh} (the sandbox drivers run it in theirs). */
class LauncherScriptTest {

    @Test
    void theLauncherRunsTheJobWithExactArgvEnvAndStdin() throws Exception {
        List<String> args = List.of("a b", "it's", "$HOME", "*", "", "back\\slash", "new\nline", "'", "\"q\"",
                "ünï ✓", "`id`", "$(id)", "%s", "\n", "''");
        var env = new LinkedHashMap<String, String>();
        env.put("nl", "X"); // the launcher's own name for a newline: the job's must not change the words after it
        env.put("HANGAR_A", "it's \"q\" $X `y` $(z) \\ *\nsecond line\n");
        env.put("HANGAR_B", "");
        var command = new ArrayList<>(List.of("/bin/sh", "-c",
                "printf '[%s]' \"$@\"; printf '<%s>' \"$HANGAR_A\" \"${HANGAR_B-unset}\" \"$nl\"; cat; exit 9", "sh"));
        command.addAll(args);
        var stdin = new ByteArrayOutputStream();
        stdin.writeBytes("line\n$HOME 'q'\n".getBytes(StandardCharsets.UTF_8));
        for (int i = 0; i < 256; i++) {
            stdin.write(i);
        }
        var job = new ProcessSpec(command, env, stdin.toByteArray());

        var builder = new ProcessBuilder(LauncherScript.command("test-sandbox"));
        builder.environment().clear();
        builder.environment().put("PATH", "/usr/bin:/bin");
        Process launcher = builder.start();
        try (OutputStream in = launcher.getOutputStream()) {
            in.write(LauncherScript.jobLine(job, List.of("PWD", "SHLVL")));
            in.write(job.stdin());
        }
        byte[] out = launcher.getInputStream().readAllBytes();
        assertThat(launcher.waitFor(30, TimeUnit.SECONDS)).isTrue();

        var expected = new ByteArrayOutputStream();
        expected.write(LauncherScript.READY); // the launcher says it waits, then the job writes
        args.forEach(a -> expected.writeBytes(("[" + a + "]").getBytes(StandardCharsets.UTF_8)));
        expected.writeBytes(("<" + env.get("HANGAR_A") + "><><X>").getBytes(StandardCharsets.UTF_8));
        expected.writeBytes(job.stdin());
        assertThat(launcher.exitValue()).as("the job's exit code is the launcher's").isEqualTo(9);
        assertThat(out).as("argv, env and stdin as the job saw them").isEqualTo(expected.toByteArray());
    }

    @Test
    void aLauncherWhoseInputEndsBeforeAJobExits125() throws Exception {
        Process launcher = new ProcessBuilder(LauncherScript.command("test-sandbox")).start();
        launcher.getOutputStream().close();
        assertThat(launcher.waitFor(30, TimeUnit.SECONDS)).isTrue();
        assertThat(launcher.exitValue()).isEqualTo(LauncherScript.NO_JOB);
    }

    @Test
    void theCommandLineCarriesTheMarkerAndTheSandboxId() {
        assertThat(LauncherScript.command("sb-1")).last().isEqualTo("hangar-launcher:sb-1");
    }

    @Test
    void badInputIsRefusedNamingTheField() {
        assertThatThrownBy(() -> LauncherScript.jobLine(new ProcessSpec(List.of("true"), Map.of("A-B", "x"), null), List.of()))
                .isInstanceOf(SandboxException.class).hasMessageStartingWith("env.A-B: is not a valid variable name");
        assertThatThrownBy(() -> LauncherScript.jobLine(new ProcessSpec(List.of("echo", "a\0b"), Map.of(), null), List.of()))
                .isInstanceOf(SandboxException.class).hasMessageStartingWith("command[1]: contains a NUL byte");
        assertThatThrownBy(() -> LauncherScript.jobLine(new ProcessSpec(List.of(), Map.of(), null), List.of()))
                .isInstanceOf(SandboxException.class).hasMessageStartingWith("command: is empty");
    }
}
