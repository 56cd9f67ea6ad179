package dev.hangar.runtime.support;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;

/** Who this process is on the host, read once: a process does not change its uid. */
public final class HostUser {
    /**
     * The uid and gid the process runtime's jobs have on the host under a root agent: no account's.
     * Why not 1000, which Podman's jobs have: that is most hosts' first login user, who could then
     * trace the jobs and read their environments, and pass through to the pins. Above the ids Debian
     * gives accounts (up to 59999) or keeps for itself (60000 to 64999), and below the subordinate ids
     * useradd hands out (from 100000).
     */
    public static final int PROCESS_JOBS_ID = 99_000;

    private static final int UID = readUid();

    private HostUser() {}

    /** Whether this process is root, which mounting (pins) and choosing who a job is on the host take. */
    public static boolean root() {
        return UID == 0;
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
