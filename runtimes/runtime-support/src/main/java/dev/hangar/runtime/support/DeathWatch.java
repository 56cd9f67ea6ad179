package dev.hangar.runtime.support;

import java.io.IOException;
import java.io.OutputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.HashSet;
import java.util.List;
import java.util.Set;

/**
 * Kills what this JVM's sandboxes run should the JVM die without closing them (SIGKILL, the OOM
 * killer). A shell started beside the JVM is told, on its standard input, each group to kill then
 * (a line each: a group, or a directory of groups; a line starting with '-' takes one back), and
 * kills them once that input ends: a pipe only this JVM holds, which ends when the JVM does.
 * Without it a job ran on, unwatched and past its wall time, until the node started again and swept
 * what it left, while another node ran the job again after its lease expired. bubblewrap's
 * {@code --die-with-parent} does this for the process runtime alone; runsc and a container engine's
 * containers have no such thing.
 */
public final class DeathWatch {
    private static final System.Logger LOG = System.getLogger(DeathWatch.class.getName());

    /**
     * SIGTERM is ignored: a service manager stopping the node sends it to the node's whole group, and
     * the JVM then closes its sandboxes itself; the watch ends with it, finding nothing left. (A
     * SIGKILL of that whole group, or an OOM kill of it, takes the watch too, unless it lives in a group
     * of its own: a line starting with '@' names one, which it moves itself into.)
     */
    private static final String SCRIPT = """
            trap '' HUP INT QUIT TERM
            groups=""
            while IFS= read -r line; do
              case "$line" in
                @*) mkdir -p "${line#@}" 2>/dev/null; echo $$ >"${line#@}/cgroup.procs" 2>/dev/null ;;
                -*) groups=$(printf '%s\\n' "$groups" | grep -vxF -- "${line#-}") ;;
                *) groups="$groups
            $line" ;;
              esac
            done
            printf '%s\\n' "$groups" | while IFS= read -r dir; do
              [ -n "$dir" ] || continue
              for group in "$dir/" "$dir"/*/; do
                [ -d "$group" ] || continue
                [ -w "${group}cgroup.kill" ] && echo 1 >"${group}cgroup.kill" 2>/dev/null
                round=0
                while [ $round -lt 50 ]; do
                  pids=$(cat "${group}cgroup.procs" 2>/dev/null)
                  [ -z "$pids" ] && break
                  kill -9 $pids 2>/dev/null
                  sleep 0.1
                  round=$((round + 1))
                done
              done
            done
            """;

    private static final Set<Path> WATCHED = new HashSet<>();
    /** The group the watch lives in, outside the node's own (see {@link #liveIn}); null: the node's. */
    private static Path home;
    /** The watch, kept for as long as the JVM lives: its standard input ends with it. */
    private static Process watch;

    private DeathWatch() {}

    /**
     * Kills what runs in this group, and in the groups right below it, should this JVM die. Never
     * fails a sandbox: a watch that cannot be started or told is logged.
     */
    public static synchronized void watch(Path group) {
        if (WATCHED.add(group) || watch == null || !watch.isAlive()) {
            tell(group.toString());
        }
    }

    /** As {@link #watch} for each group. */
    static synchronized void watch(List<Path> groups) {
        groups.forEach(DeathWatch::watch);
    }

    /**
     * Moves the watch into {@code group}, made if need be, out of the node's own: on cgroup v2 a sandbox's host
     * processes leave the node's group (a systemd unit's) for Hangar's, and a service manager that kills what is
     * left in the unit once the node has died (systemd's {@code KillMode=mixed}) would kill the watch before it
     * had killed them. Where the move fails, the watch stays where it is.
     */
    static synchronized void liveIn(Path group) { // the start's own home aside, for a test's stand-in group
        if (!group.equals(home)) {
            home = group;
            tell("@" + group);
        }
    }

    /**
     * Where the watch lives on a host with cgroup v2 alone (see {@link #liveIn}): a group beside every owner's in
     * Hangar's own, of no owner, so that no sweep of a gone owner's takes it; null elsewhere.
     */
    private static Path homeOnUnifiedHierarchy() {
        CgroupMounts mounts = CgroupMounts.read();
        // as Limiter finds them: where v1 has the controllers, the sandboxes' groups are there, and the unit's too
        return mounts.hasV1("memory", "pids", "cpu") ? null
                : mounts.v2().map(root -> root.resolve(Limiter.V2.HANGAR).resolve("watch")).orElse(null);
    }

    /** The group is gone, or no longer this JVM's to kill. */
    public static synchronized void forget(Path group) {
        if (WATCHED.remove(group)) {
            tell("-" + group);
        }
    }

    private static void tell(String line) {
        try {
            if (watch == null || !watch.isAlive()) {
                if (home == null) {
                    home = homeOnUnifiedHierarchy(); // a Podman-only node makes no group of Hangar's to say it
                }
                // in a session of its own: a terminal's Ctrl-C or Ctrl-\ to the node's process group misses it
                watch = new ProcessBuilder(Spawner.inSessionOfItsOwn(List.of("/bin/sh", "-c", SCRIPT, "hangar-death-watch")))
                        .redirectOutput(ProcessBuilder.Redirect.DISCARD)
                        .redirectError(ProcessBuilder.Redirect.DISCARD)
                        .start();
                if (home != null && !line.equals("@" + home)) {
                    send("@" + home);
                }
                for (Path group : WATCHED) { // a watch started again (the last one was killed) is told them all
                    if (!line.equals(group.toString())) {
                        send(group.toString());
                    }
                }
            }
            send(line);
        } catch (IOException e) {
            LOG.log(System.Logger.Level.WARNING, "the watch that kills this node's sandboxes should it die could not be"
                    + " told of " + line + ": " + e.getMessage());
        }
    }

    private static void send(String line) throws IOException {
        OutputStream in = watch.getOutputStream();
        in.write((line + "\n").getBytes(StandardCharsets.UTF_8));
        in.flush();
    }
}
