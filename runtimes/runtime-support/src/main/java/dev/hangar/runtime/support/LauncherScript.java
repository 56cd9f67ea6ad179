package dev.hangar.runtime.support;

import dev.hangar.core.runtime.ProcessSpec;
import dev.hangar.core.runtime.SandboxException;
import java.io.IOException;
import java.io.OutputStream;
import java.nio.charset.StandardCharsets;
import java.util.Comparator;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.regex.Pattern;

/**
 * The in-sandbox launcher of a prestarted sandbox, and the one line that hands it its job.
 *
 * <p>The launcher is a POSIX {@code sh} that the driver starts exactly as it would start a job
 * (same sandbox, cgroups, limits, user and base environment), with its stdin a pipe the host
 * holds. It prints one byte, {@link #READY} (so the host knows it is up: a gVisor sandbox boots its
 * kernel first), and waits on {@code read} for one line: shell code that drops the variables the
 * shell itself made, sets the job's argv as the positional parameters, exports the job's
 * environment and {@code exec}s that argv, so the job replaces the launcher and its exit code,
 * signals and output are the sandbox process's own. Everything after that line on stdin is the job's stdin, byte for byte (binary
 * included): {@code read} takes its line one byte at a time and never reads ahead, which is also
 * why the job is not sent as a script to {@code sh -s} (dash and busybox read a script in blocks).
 *
 * <p>Quoting: every word is single-quoted ({@code '} written as {@code '\''}) and a newline as
 * {@code '"$nl"'}, a variable the launcher set to a newline, so the line has no raw newline and
 * {@code eval} expands nothing else.
 */
public final class LauncherScript {
    /** Written into the launcher's command line with the sandbox id, so it can be found on the host. */
    public static final String MARKER = "hangar-launcher:";

    /** Exit code of a launcher that found no job (its stdin closed first). */
    public static final int NO_JOB = 125;

    /** The byte a launcher prints once it waits for its job (ASCII ACK); nothing before its job is output. */
    public static final byte READY = 6;

    private static final String PROGRAM = "printf '\\006'; nl='\n'; IFS= read -r job || exit " + NO_JOB + "; eval \"$job\"";
    private static final Pattern NAME = Pattern.compile("[A-Za-z_][A-Za-z0-9_]*");

    private LauncherScript() {}

    /** The longest job line a launcher is handed; see {@link #startsAsCold}. */
    public static final int MOST_LINE_BYTES = 4096;
    /** Variables that sh (bash, dash, busybox ash) keeps as its own: read-only, checked or set by the shell. */
    private static final Set<String> SHELLS_OWN = Set.of("UID", "EUID", "PPID", "OPTIND", "OPTARG", "SHELLOPTS",
            "BASHOPTS", "BASH_VERSINFO", "BASHPID", "GROUPS", "LINENO", "RANDOM", "SRANDOM", "SECONDS", "EPOCHSECONDS",
            "EPOCHREALTIME", "IFS");

    /**
     * Whether a launcher starts a job of this command and environment as a cold start would: its
     * shell reads the job's line a byte a read, which under gVisor took 10 to 14 s for a 100 KiB
     * environment (a cold start 0.2 s), so a line past {@link #MOST_LINE_BYTES} is not handed to
     * one; and it exports the environment, which fails, or is ignored, for a name the shell keeps
     * as its own (bash's read-only UID, dash's checked OPTIND), where a cold start sets it.
     */
    public static boolean startsAsCold(List<String> command, Map<String, String> env) {
        if (env.keySet().stream().anyMatch(SHELLS_OWN::contains)) {
            return false;
        }
        try {
            return jobLine(new ProcessSpec(command, env, null), List.of()).length <= MOST_LINE_BYTES;
        } catch (SandboxException e) {
            return false; // a line that cannot be made: a cold start says why
        }
    }

    /** The launcher's argv: {@code /bin/sh -c PROGRAM hangar-launcher:ID}. */
    public static List<String> command(String sandboxId) {
        return List.of("/bin/sh", "-c", PROGRAM, MARKER + sandboxId);
    }

    /**
     * The line that starts {@code process}: unsets {@code shellMade} (variables the launcher's shell
     * added to its environment that a cold start of the job would not have, e.g. SHLVL), exports the
     * job's variables and execs its command.
     */
    public static byte[] jobLine(ProcessSpec process, List<String> shellMade) throws SandboxException {
        if (process.command().isEmpty()) {
            throw new SandboxException("command: is empty; a job needs a program to run");
        }
        var line = new StringBuilder(256);
        if (!shellMade.isEmpty()) {
            line.append("unset ").append(String.join(" ", shellMade)).append("; ");
        }
        // why the argv first and a job's own `nl` last: each is written with the launcher's $nl, which
        // a job variable of that name would otherwise change under the words that follow it
        line.append("set --");
        List<String> command = process.command();
        for (int i = 0; i < command.size(); i++) {
            line.append(' ').append(quote(command.get(i), "command[" + i + "]"));
        }
        line.append("; ");
        List<Map.Entry<String, String>> variables = process.env().entrySet().stream()
                .sorted(Comparator.comparing((Map.Entry<String, String> variable) -> variable.getKey().equals("nl"))).toList();
        for (Map.Entry<String, String> variable : variables) {
            String name = variable.getKey();
            if (!NAME.matcher(name).matches()) {
                throw new SandboxException("env." + name + ": is not a valid variable name ([A-Za-z_][A-Za-z0-9_]*)");
            }
            line.append("export ").append(name).append('=')
                    .append(quote(variable.getValue(), "env." + name)).append("; ");
        }
        line.append("exec \"$@\"\n");
        return line.toString().getBytes(StandardCharsets.UTF_8);
    }

    /** Writes the line that starts {@code job} to a waiting launcher's stdin. */
    public static void hand(OutputStream launcherStdin, ProcessSpec job, List<String> shellMade) throws SandboxException {
        byte[] line = jobLine(job, shellMade);
        try {
            launcherStdin.write(line);
            launcherStdin.flush();
        } catch (IOException e) {
            throw new SandboxException("the launcher did not take its job (it has died?): " + e.getMessage(), e);
        }
    }

    /** {@code value} as one single-quoted shell word; {@code field} names it in the error for a NUL byte. */
    static String quote(String value, String field) throws SandboxException {
        if (value.indexOf('\0') >= 0) {
            throw new SandboxException(field + ": contains a NUL byte, which no program argument or variable can hold");
        }
        var quoted = new StringBuilder(value.length() + 2).append('\'');
        for (int i = 0; i < value.length(); i++) {
            char c = value.charAt(i);
            switch (c) {
                case '\'' -> quoted.append("'\\''");
                case '\n' -> quoted.append("'\"$nl\"'");
                default -> quoted.append(c);
            }
        }
        return quoted.append('\'').toString();
    }
}
