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
    private static final String SCRIPT = "for f in \"$@\"; do case $f in --) shift; break;; esac; "
            + "echo $$ > \"$f\" || exit 125; shift; done; exec \"$@\"";

    private CgroupJoin() {}

    public static List<String> wrap(Cgroup cgroup, List<String> command) {
        var argv = new ArrayList<String>(command.size() + 8);
        argv.addAll(List.of("/bin/sh", "-c", SCRIPT, "hangar-join"));
        for (Path procs : cgroup.procsFiles()) {
            argv.add(procs.toString());
        }
        argv.add("--");
        argv.addAll(command);
        return argv;
    }
}
