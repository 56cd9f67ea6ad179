package dev.hangar.runtime.process;

import dev.hangar.core.runtime.Mount;
import dev.hangar.core.runtime.NetworkMode;
import dev.hangar.core.runtime.SandboxSpec;
import dev.hangar.runtime.support.Cgroup;
import dev.hangar.runtime.support.CgroupJoin;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;

/**
 * The host command line that starts one sandboxed process: bwrap over the host's /usr or an
 * image's root filesystem, entered through {@link CgroupJoin} so nothing escapes the limits.
 */
final class BubblewrapCommand {
    static final String SANDBOX_UID = "1000";
    static final String WORKDIR = "/work";

    /** Host files a normal program expects to read; absent ones are skipped. Not all of /etc/ssl: its private/ holds the host's keys. */
    private static final List<String> ETC_FILES = List.of("/etc/passwd", "/etc/group", "/etc/nsswitch.conf",
            "/etc/ld.so.cache", "/etc/alternatives", "/etc/localtime", "/etc/ssl/certs", "/etc/ssl/openssl.cnf", "/etc/ca-certificates");
    /** Root entries the sandbox gets from bwrap itself, never from an image. */
    private static final java.util.Set<String> OWN_MOUNTS = java.util.Set.of("proc", "dev", "tmp", "work", "sys");
    private static final List<String> NETWORK_ETC_FILES = List.of("/etc/resolv.conf", "/etc/hosts");
    /**
     * Parts of /proc made read-only, as container engines do: when the agent is root the sandbox user
     * is root on the host, and the kernel lets root's uid write /proc/sys (core_pattern, drop_caches)
     * with no capability, even from a user namespace. bwrap's --proc means to cover most of these but
     * skips a directory that looks unwritable (/proc/sys has no write bits; files in it do). Each
     * shows the namespaces of whoever reads it.
     */
    private static final List<String> PROC_READ_ONLY = List.of("/proc/sys", "/proc/sysrq-trigger", "/proc/irq",
            "/proc/bus", "/proc/fs");

    private final String bwrap;
    private final List<String> startPrefix;

    /** @param startPrefix what starts bwrap as the sandbox's host user (see {@link SandboxHostUser}) */
    BubblewrapCommand(String bwrap, List<String> startPrefix) {
        this.bwrap = bwrap;
        this.startPrefix = startPrefix;
    }

    /**
     * @param env   the sandboxed program's whole environment, set by bwrap inside the sandbox: the
     *              host-side programs (the cgroup join's shell, bwrap) run without it, so that a job's
     *              loader variables (LD_PRELOAD...) cannot run its code outside the sandbox
     * @param files where bwrap writes its JSON status (see {@link BubblewrapStatus}) and reads the
     *              options that set {@code env} ({@link #environment}, written there by the caller), so
     *              that no value of it shows in the host's process list; null for neither, with
     *              {@code env} then on the command line (the launcher's: no job's values)
     */
    List<String> build(SandboxSpec spec, Path imageRootfs, Cgroup cgroup, List<String> command, Map<String, String> env,
            JobFiles files) {
        var argv = new ArrayList<String>(64);
        argv.addAll(startPrefix);
        argv.add(bwrap);
        // --disable-userns: user namespaces a job made and held would use up its host user's allowance,
        // so that bwrap could make none for the next job
        argv.addAll(List.of("--unshare-all", "--unshare-user", "--disable-userns", "--uid", SANDBOX_UID, "--gid",
                SANDBOX_UID, "--die-with-parent", "--new-session", "--cap-drop", "ALL", "--hostname", "hangar"));
        if (files == null) {
            argv.addAll(environment(env));
        } else {
            argv.addAll(List.of("--args", "4", "--json-status-fd", "3"));
        }
        if (spec.network() != NetworkMode.NONE) {
            argv.add("--share-net");
        }
        if (imageRootfs != null) {
            imageRoot(imageRootfs, argv);
        } else {
            hostRoot(argv);
        }
        if (spec.network() != NetworkMode.NONE) {
            for (String file : NETWORK_ETC_FILES) {
                argv.addAll(List.of("--ro-bind-try", file, file));
            }
        }
        argv.addAll(List.of("--proc", "/proc", "--dev", "/dev"));
        for (String path : PROC_READ_ONLY) {
            argv.addAll(List.of("--ro-bind-try", path, path));
        }
        String diskBytes = Long.toString(spec.resources().diskMb() * 1024 * 1024);
        argv.addAll(List.of("--size", diskBytes, "--tmpfs", "/tmp"));
        argv.addAll(List.of("--size", diskBytes, "--tmpfs", WORKDIR));
        // why: --dev makes /dev a tmpfs of no size, with /dev/shm in it writable by the job
        argv.addAll(List.of("--size", diskBytes, "--tmpfs", "/dev/shm"));
        for (Mount mount : spec.mounts()) {
            argv.addAll(List.of(mount.readOnly() ? "--ro-bind" : "--bind", mount.hostPath(), mount.sandboxPath()));
        }
        // why: the root is bwrap's own tmpfs, which a job could otherwise fill past its disk limit
        argv.addAll(List.of("--remount-ro", "/", "--chdir", WORKDIR, "--"));
        argv.addAll(command);
        return files == null ? CgroupJoin.wrap(cgroup, argv) : CgroupJoin.wrap(cgroup, files.status(), files.options(), argv);
    }

    /** A job process's files: bwrap's status (fd 3) and its options read from a file (fd 4, {@code --args}). */
    record JobFiles(Path status, Path options) {}

    /** bwrap's options that give the sandboxed program exactly {@code env}. */
    static List<String> environment(Map<String, String> env) {
        var options = new ArrayList<String>(1 + 3 * env.size());
        options.add("--clearenv");
        env.forEach((name, value) -> options.addAll(List.of("--setenv", name, value)));
        return options;
    }

    /**
     * An image's top-level entries, read-only, in bwrap's own tmpfs root rather than the image as
     * the root itself: so mount points for /work, /tmp and the job's mounts can be made.
     */
    private static void imageRoot(Path rootfs, List<String> argv) {
        try (var entries = Files.list(rootfs)) {
            for (Path entry : entries.sorted().toList()) {
                String name = entry.getFileName().toString();
                if (OWN_MOUNTS.contains(name)) {
                    continue;
                }
                if (Files.isSymbolicLink(entry)) {
                    argv.addAll(List.of("--symlink", Files.readSymbolicLink(entry).toString(), "/" + name));
                } else {
                    argv.addAll(List.of("--ro-bind", entry.toString(), "/" + name));
                }
            }
        } catch (java.io.IOException e) {
            throw new java.io.UncheckedIOException("cannot read image root " + rootfs, e);
        }
    }

    /** Without an image: the host's /usr, read-only, and the few /etc files programs expect. */
    private static void hostRoot(List<String> argv) {
        argv.addAll(List.of("--ro-bind", "/usr", "/usr"));
        for (String dir : List.of("bin", "lib", "lib64", "sbin")) {
            argv.addAll(rootEntry(dir));
        }
        for (String file : ETC_FILES) {
            argv.addAll(List.of("--ro-bind-try", file, file));
        }
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
