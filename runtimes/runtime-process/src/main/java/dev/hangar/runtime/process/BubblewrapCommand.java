package dev.hangar.runtime.process;

import dev.hangar.core.runtime.Mount;
import dev.hangar.core.runtime.NetworkMode;
import dev.hangar.core.runtime.SandboxSpec;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

/**
 * The host command line that starts one sandboxed process: a tiny {@code sh} that joins the
 * sandbox's cgroups and then becomes {@code bwrap}, so that nothing the job starts escapes the
 * limits, not even for an instant.
 */
final class BubblewrapCommand {
    static final String SANDBOX_UID = "1000";
    static final String WORKDIR = "/work";

    /** Host files a normal program expects to read; absent ones are skipped. */
    private static final List<String> ETC_FILES = List.of("/etc/passwd", "/etc/group", "/etc/nsswitch.conf",
            "/etc/ld.so.cache", "/etc/alternatives", "/etc/localtime", "/etc/ssl", "/etc/ca-certificates");
    private static final List<String> NETWORK_ETC_FILES = List.of("/etc/resolv.conf", "/etc/hosts");
    private static final String JOIN_CGROUPS = "for f in \"$@\"; do case $f in --) shift; break;; esac; "
            + "echo $$ > \"$f\" || exit 125; shift; done; exec \"$@\"";

    private final String bwrap;

    BubblewrapCommand(String bwrap) {
        this.bwrap = bwrap;
    }

    List<String> build(SandboxSpec spec, List<Path> cgroupProcsFiles, List<String> command) {
        var argv = new ArrayList<String>(64);
        argv.addAll(List.of("/bin/sh", "-c", JOIN_CGROUPS, "hangar-join"));
        cgroupProcsFiles.forEach(f -> argv.add(f.toString()));
        argv.add("--");
        argv.add(bwrap);
        argv.addAll(List.of("--unshare-all", "--unshare-user", "--uid", SANDBOX_UID, "--gid", SANDBOX_UID,
                "--die-with-parent", "--new-session", "--cap-drop", "ALL", "--hostname", "hangar"));
        if (spec.network() != NetworkMode.NONE) {
            argv.add("--share-net");
        }
        argv.addAll(List.of("--ro-bind", "/usr", "/usr"));
        for (String dir : List.of("bin", "lib", "lib64", "sbin")) {
            argv.addAll(rootEntry(dir));
        }
        for (String file : ETC_FILES) {
            argv.addAll(List.of("--ro-bind-try", file, file));
        }
        if (spec.network() != NetworkMode.NONE) {
            for (String file : NETWORK_ETC_FILES) {
                argv.addAll(List.of("--ro-bind-try", file, file));
            }
        }
        argv.addAll(List.of("--proc", "/proc", "--dev", "/dev"));
        String diskBytes = Long.toString(spec.resources().diskMb() * 1024 * 1024);
        argv.addAll(List.of("--size", diskBytes, "--tmpfs", "/tmp"));
        argv.addAll(List.of("--size", diskBytes, "--tmpfs", WORKDIR));
        for (Mount mount : spec.mounts()) {
            argv.addAll(List.of(mount.readOnly() ? "--ro-bind" : "--bind", mount.hostPath(), mount.sandboxPath()));
        }
        argv.addAll(List.of("--chdir", WORKDIR, "--"));
        argv.addAll(command);
        return argv;
    }

    /** /bin and friends: a symlink into /usr on merged-/usr hosts, else a read-only bind. */
    private static List<String> rootEntry(String name) {
        Path host = Path.of("/", name);
        if (Files.isSymbolicLink(host)) {
            try {
                return List.of("--symlink", Files.readSymbolicLink(host).toString(), host.toString());
            } catch (java.io.IOException e) {
                return List.of();
            }
        }
        return Files.isDirectory(host) ? List.of("--ro-bind", host.toString(), host.toString()) : List.of();
    }
}
