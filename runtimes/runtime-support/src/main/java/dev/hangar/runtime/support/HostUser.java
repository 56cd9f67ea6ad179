package dev.hangar.runtime.support;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;

/** Who this process is on the host, read once: a process does not change its uid. */
public final class HostUser {
    /**
     * The uid and gid jobs have on the host under a root agent: no account's. Why not 1000: that is most
     * hosts' first login user, who could then trace the jobs and read their environments, own what they
     * leave in writable mounts (a setuid bit included), and pass through to the pins. Above the ids Debian
     * gives accounts (up to 59999) or keeps for itself (60000 to 64999), and below the subordinate ids
     * useradd hands out (from 100000).
     */
    public static final int JOBS_ID = 99_000;

    /** The user of a job in a container runtime that gives it no user namespace of its own, where it is not root. */
    private static final int CONTAINER_USER_NOT_ROOT = 1000;

    private static final int UID = readUid();

    private HostUser() {}

    /** Whether this process is root, which mounting (pins) and choosing who a job is on the host take. */
    public static boolean root() {
        return UID == 0;
    }

    /**
     * The uid and gid of a job in a container runtime (Podman, gVisor, Kata), which is the job's on the host too, as
     * those give it no user namespace: {@link #JOBS_ID} under a root agent; else 1000, which a rootless runtime maps
     * into the agent's subordinate ids (and {@link #JOBS_ID} may lie beyond the 65,536 it has).
     */
    public static int containerJobsId() {
        return root() ? JOBS_ID : CONTAINER_USER_NOT_ROOT;
    }

    /** This process's uid, or -1 if it could not be read. */
    public static int uid() {
        return UID;
    }

    private static int readUid() {
        try {
            return (Integer) Files.getAttribute(Path.of("/proc/self"), "unix:uid");
        } catch (IOException | UnsupportedOperationException | IllegalArgumentException | ClassCastException e) {
            return -1;
        }
    }
}
