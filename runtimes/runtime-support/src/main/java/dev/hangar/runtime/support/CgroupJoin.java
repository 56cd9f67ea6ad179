package dev.hangar.runtime.support;

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

    private static final String JOIN = "for f in \"$@\"; do case $f in --) shift; break;; esac; "
            + "echo $$ > \"$f\" || exit " + CANNOT_JOIN + "; shift; done; ";
    private static final String SCRIPT = JOIN + "exec \"$@\"";
    /** The same, with the file after {@code --} open for writing as fd 3 of the command. */
    private static final String SCRIPT_WITH_FD3 = JOIN + "fd3=$1; shift; exec \"$@\" 3>\"$fd3\"";

    private CgroupJoin() {}

    public static List<String> wrap(Cgroup cgroup, List<String> command) {
        return wrap(cgroup, SCRIPT, List.of(), command);
    }

    /** As {@link #wrap(Cgroup, List)}, the command writing its fd 3 to {@code fd3} (e.g. bwrap's status). */
    public static List<String> wrap(Cgroup cgroup, Path fd3, List<String> command) {
        return wrap(cgroup, SCRIPT_WITH_FD3, List.of(fd3.toString()), command);
    }

    private static List<String> wrap(Cgroup cgroup, String script, List<String> afterJoin, List<String> command) {
        var argv = new ArrayList<String>(command.size() + 9);
        argv.addAll(List.of("/bin/sh", "-c", script, "hangar-join"));
        for (Path procs : cgroup.procsFiles()) {
            argv.add(procs.toString());
        }
        argv.add("--");
        argv.addAll(afterJoin);
        argv.addAll(command);
        return argv;
    }
}
