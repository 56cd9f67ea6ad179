package dev.hangar.runtime.support;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;

/** Who this process is on the host, read once: a process does not change its uid. */
public final class HostUser {
    /**
     * The uid and gid a sandbox's user has on the host, where a runtime makes it a host user: Podman's
     * containers, and the process runtime under a root agent.
     */
    public static final int SANDBOX_ID = 1000;

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
