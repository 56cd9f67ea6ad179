package dev.hangar.runtime.gvisor;

import dev.hangar.core.job.Resources;
import dev.hangar.runtime.support.Cgroup;
import dev.hangar.runtime.support.Limiter;
import dev.hangar.runtime.support.Spawner;
import java.io.IOException;
import java.io.OutputStream;
import java.nio.channels.FileChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.TimeUnit;

/**
 * A {@code sh} that has already moved itself into a fresh set of cgroups and waits, reading its
 * standard input, to be told which directory to enter and which command to exec (runsc run).
 *
 * <p>Why: on cgroup v1, moving a process into a group waits for the kernel (an RCU grace period
 * per move); measured here, the {@code sh} of {@code CgroupJoin} costs runsc run 5 to 16 ms more
 * to the first output than without it. A launcher parked ahead of time has paid that before the
 * job is submitted. The guarantee is unchanged: nothing but this idle {@code sh} ever runs in the
 * groups before the sandbox's own limits are written to them, and runsc is exec'd by a process
 * that is already inside.
 *
 * <p>The groups are made under a pool name and renamed to the sandbox's when it takes them (cgroup
 * v1 allows renaming a group in place; v2 does not, so there this is not used); likewise its bundle
 * directory, locked as a sandbox's is, with the fork log's FIFO already made in it. A parked
 * launcher whose node dies reads end of file and exits, leaving empty groups and an unlocked
 * bundle directory for the stale sweeps.
 */
final class ParkedLauncher {
    // why: the FIFO is made only after every group is joined, so a FIFO in the bundle proves the
    // launcher sits in the groups; one taken earlier finds no FIFO and the sandbox starts the slow way
    private static final String SCRIPT = "mk=\"$1\"; fifo=\"$2\"; shift 2; "
            + "for f in \"$@\"; do echo $$ > \"$f\" || exit 125; done; set --; "
            + "\"$mk\" -m 600 \"$fifo\" || exit 125; "
            + "IFS= read -r dir || exit 125; "
            + "while IFS= read -r a; do [ -z \"$a\" ] && break; set -- \"$@\" \"$a\"; done; "
            + "[ $# -gt 0 ] || exit 125; cd \"$dir\" || exit 125; exec \"$@\"";

    private final Limiter limiter;
    private final String poolName;
    private final Process process;
    private final Path bundle;
    private final FileChannel lock;

    private ParkedLauncher(Limiter limiter, String poolName, Process process, Path bundle, FileChannel lock) {
        this.limiter = limiter;
        this.poolName = poolName;
        this.process = process;
        this.bundle = bundle;
        this.lock = lock;
    }

    /** The lock on the pool bundle (held like a sandbox's, so the stale sweep leaves it alone); the sandbox takes it over. */
    FileChannel lock() {
        return lock;
    }

    /**
     * Makes pool groups (with the default limits until taken), a directory {@code bundle} for the
     * next sandbox's bundle, and a launcher parked inside the groups. Before it parks, the launcher
     * makes the fork log's FIFO in that directory with {@code mkfifo}, so that spawn too is off the
     * job's path.
     */
    static ParkedLauncher start(Limiter limiter, String poolName, Path bundle, Path mkfifo) throws IOException {
        FileChannel lock = GvisorSandbox.lockBundle(bundle);
        Cgroup cgroup;
        try {
            cgroup = limiter.create(poolName, Resources.defaults());
        } catch (IOException | RuntimeException e) {
            lock.close();
            GvisorSandbox.deleteTree(bundle);
            throw e;
        }
        try {
            var argv = new java.util.ArrayList<String>(List.of("/bin/sh", "-c", SCRIPT, "hangar-parked",
                    mkfifo.toString(), bundle.resolve(GvisorSandbox.FIFO).toString()));
            for (Path procs : cgroup.procsFiles()) {
                argv.add(procs.toString());
            }
            var builder = new ProcessBuilder(argv);
            builder.directory(Path.of("/").toFile());
            // why: runsc passes none of its own environment to the job (that is config.json's), and
            // it should not read XDG_RUNTIME_DIR or the like from the node's either
            builder.environment().clear();
            builder.environment().put("PATH", "/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin");
            return new ParkedLauncher(limiter, poolName, Spawner.start(builder), bundle, lock);
        } catch (IOException | RuntimeException e) {
            cgroup.remove();
            lock.close();
            GvisorSandbox.deleteTree(bundle);
            throw e;
        }
    }

    /** Whether the launcher can still be told what to run. */
    boolean alive() {
        return process.isAlive();
    }

    /** Whether it has joined every group and made its FIFO, so a sandbox that takes it starts parked. */
    boolean ready() {
        return alive() && isFifo(bundle.resolve(GvisorSandbox.FIFO));
    }

    private static boolean isFifo(Path path) {
        return Files.exists(path, java.nio.file.LinkOption.NOFOLLOW_LINKS)
                && !Files.isRegularFile(path, java.nio.file.LinkOption.NOFOLLOW_LINKS)
                && !Files.isDirectory(path, java.nio.file.LinkOption.NOFOLLOW_LINKS);
    }

    /**
     * Renames the pool groups to {@code name} and writes {@code resources} to them, before the
     * launcher is told anything: the limits are in force before runsc exists.
     */
    Cgroup adopt(String name, Resources resources) throws IOException {
        for (Path parent : limiter.parents()) {
            Files.move(parent.resolve(poolName), parent.resolve(name));
        }
        return limiter.create(name, resources);
    }

    /**
     * Renames the pool's bundle directory to {@code target}; true if the FIFO was already made in
     * it. If not, the launcher has not got that far, and the sandbox starts the slow way, making its
     * own FIFO. What runs in the launcher's {@code groups} (the launcher, and a mkfifo of its that
     * looked the directory up before the rename and makes its FIFO in the renamed one) is killed
     * first, and a FIFO it made removed: the sandbox's own mkfifo failed on it, "File exists".
     */
    boolean adoptBundle(Path target, Cgroup groups) throws IOException {
        Files.move(bundle, target);
        Path fifo = target.resolve(GvisorSandbox.FIFO);
        if (isFifo(fifo)) {
            return true;
        }
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(2);
        while (holdsAProcess(groups) && System.nanoTime() < deadline) {
            groups.killAll();
            try {
                Thread.sleep(20);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                break;
            }
        }
        Files.deleteIfExists(fifo);
        return false;
    }

    private static boolean holdsAProcess(Cgroup groups) {
        return groups.procsFiles().stream().anyMatch(procs -> {
            try {
                return !Files.readString(procs).isBlank();
            } catch (IOException e) {
                return false;
            }
        });
    }

    /** Tells the launcher to enter {@code dir} and exec {@code command}; its stdin is then the job's. */
    Process launch(Path dir, List<String> command) throws IOException {
        var go = new StringBuilder().append(dir).append('\n');
        for (String arg : command) {
            go.append(arg).append('\n');
        }
        go.append('\n');
        OutputStream in = process.getOutputStream();
        in.write(go.toString().getBytes(StandardCharsets.UTF_8));
        in.flush();
        return process;
    }

    /** Whether {@link #launch} can pass these: one line each, none empty. */
    static boolean passable(Path dir, List<String> command) {
        if (dir.toString().isEmpty() || dir.toString().contains("\n")) {
            return false;
        }
        return command.stream().noneMatch(a -> a.isEmpty() || a.contains("\n"));
    }

    /** Kills the launcher and removes its pool bundle and its groups, under the pool name or {@code adoptedName}. */
    void discard(String adoptedName) {
        process.destroyForcibly();
        try {
            process.waitFor(2, TimeUnit.SECONDS);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
        try {
            lock.close();
        } catch (IOException ignored) {
            // closing releases the lock; nothing else to do
        }
        GvisorSandbox.deleteTree(bundle);
        for (Path parent : limiter.parents()) {
            for (String name : adoptedName == null ? List.of(poolName) : List.of(poolName, adoptedName)) {
                try {
                    Files.deleteIfExists(parent.resolve(name));
                } catch (IOException ignored) {
                    // a group still busy is left to the stale sweep
                }
            }
        }
    }

    /** Kills the launcher if it was never told to run anything; its groups go with the sandbox's. */
    void abandon() {
        if (process.isAlive()) {
            process.destroyForcibly();
        }
    }
}
