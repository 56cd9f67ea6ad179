package dev.hangar.runtime.support;

import dev.hangar.core.runtime.ExitStatus;
import dev.hangar.core.runtime.SandboxException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

/**
 * A command line that first joins a sandbox's cgroups and then becomes the real command: a tiny
 * {@code sh} writes its own pid into each group and execs, so nothing the sandbox starts ever runs
 * outside its limits, not even for an instant.
 */
public final class CgroupJoin {
    /** The script's exit code when it cannot write itself into a group (the command never starts). */
    public static final int CANNOT_JOIN = 125;

    /** What a job whose process could not join its sandbox's cgroups is told: the host's fault, not its own. */
    public static final String JOIN_FAILED = "the job's process could not join the sandbox's cgroups (exit code "
            + CANNOT_JOIN + " of the join script), so the sandbox's command was not started";

    private static final String SCRIPT = join("exit " + CANNOT_JOIN) + "exec \"$@\"";
    /** The same, with the two files after {@code --} open as fd 3 (for writing) and fd 4 (for reading) of the command. */
    private static final String SCRIPT_WITH_FD3_FD4 = join("exit " + CANNOT_JOIN)
            + "fd3=$1; fd4=$2; shift 2; exec \"$@\" 3>\"$fd3\" 4<\"$fd4\"";
    /** The same as {@link #SCRIPT}, making the file named first when it cannot join. */
    private static final String SCRIPT_MARKING_FAILURE = "mark=$1; shift; "
            + join("{ : > \"$mark\"; exit " + CANNOT_JOIN + "; }") + "exec \"$@\"";

    private CgroupJoin() {}

    /** Writes the shell's pid into each group file before {@code --}, doing {@code onFailure} if one refuses it. */
    private static String join(String onFailure) {
        return "for f in \"$@\"; do case $f in --) shift; break;; esac; echo $$ > \"$f\" || " + onFailure + "; shift; done; ";
    }

    public static List<String> wrap(Cgroup cgroup, List<String> command) {
        return wrap(cgroup, SCRIPT, List.of(), List.of(), command);
    }

    /**
     * As {@link #wrap(Cgroup, List)}, the command writing its fd 3 to {@code fd3} (e.g. bwrap's status)
     * and reading its fd 4 from {@code fd4} (e.g. bwrap's options that are not for the command line).
     */
    public static List<String> wrap(Cgroup cgroup, Path fd3, Path fd4, List<String> command) {
        return wrap(cgroup, SCRIPT_WITH_FD3_FD4, List.of(), List.of(fd3.toString(), fd4.toString()), command);
    }

    /**
     * As {@link #wrap(Cgroup, List)}, making the file {@code mark} (which must not exist yet) if it
     * cannot join: its exit code {@value #CANNOT_JOIN} is then told from a command that exits so
     * itself, by {@link #check}.
     */
    public static List<String> wrapMarkingFailure(Cgroup cgroup, Path mark, List<String> command) {
        return wrap(cgroup, SCRIPT_MARKING_FAILURE, List.of(mark.toString()), List.of(), command);
    }

    /**
     * The command's exit as it is, unless the join of {@link #wrapMarkingFailure} failed: then the
     * sandbox never ran the command, which is the host's fault (a cgroup it could not write), not the job's.
     */
    public static ExitStatus check(ExitStatus status, Path mark) throws SandboxException {
        if (status.code() == CANNOT_JOIN && Files.exists(mark)) {
            throw new SandboxException(JOIN_FAILED);
        }
        return status;
    }

    private static List<String> wrap(Cgroup cgroup, String script, List<String> beforeJoin, List<String> afterJoin,
            List<String> command) {
        var argv = new ArrayList<String>(command.size() + 10);
        argv.addAll(List.of("/bin/sh", "-c", script, "hangar-join"));
        argv.addAll(beforeJoin);
        for (Path procs : cgroup.procsFiles()) {
            argv.add(procs.toString());
        }
        argv.add("--");
        argv.addAll(afterJoin);
        argv.addAll(command);
        return argv;
    }
}
