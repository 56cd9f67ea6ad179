package dev.hangar.runtime.process;

import dev.hangar.core.image.ImageStore;
import dev.hangar.core.runtime.SandboxException;
import dev.hangar.runtime.support.HostUser;
import dev.hangar.runtime.support.MountPins;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;

/**
 * Who bwrap is started as, and so who a job is on the host: bwrap maps the sandbox's user to the uid
 * that starts it. Under a root agent every job was host root, free to leave a setuid-root program in
 * a writable mount, or to use up root's per-user limits (its 128 inotify instances) for the whole
 * host. So under root bwrap is started as the sandboxes' host user ({@link HostUser#SANDBOX_ID},
 * as Podman's jobs are) through setpriv, after the cgroup join. That user cannot enter the agent's
 * data directory, root's alone, which holds the image store: it reaches the images through a pin of
 * the store (see {@link MountPins}), made once per process and kept for its life (the next agent's
 * sweep removes it), as it reaches a job's mounts through their pins. Without setpriv, or where pins cannot be made (root in a container),
 * bwrap is started as root, as before, and the probe says so.
 */
final class SandboxHostUser {
    /** Image stores this process pinned, by their root: one pin each, however many runtimes use them. */
    private static final Map<Path, Path> PINNED_STORES = new HashMap<>();

    private final List<String> startPrefix;
    private final Path storeRoot;
    private final Path storePin;
    private final String description;

    private SandboxHostUser(List<String> startPrefix, Path storeRoot, Path storePin, String description) {
        this.startPrefix = startPrefix;
        this.storeRoot = storeRoot;
        this.storePin = storePin;
        this.description = description;
    }

    static SandboxHostUser of(Optional<Path> setpriv, ImageStore images) {
        if (!HostUser.root()) {
            return new SandboxHostUser(List.of(), null, null, "the agent's own (uid " + HostUser.uid() + ")");
        }
        if (setpriv.isEmpty()) {
            return asRoot("setpriv (util-linux) is not installed");
        }
        Path root = images.root().toAbsolutePath().normalize();
        try {
            Path pin = pinnedStore(root);
            int id = HostUser.SANDBOX_ID;
            return new SandboxHostUser(List.of(setpriv.get().toString(), "--reuid=" + id, "--regid=" + id,
                    "--clear-groups", "--"), root, pin, "host uid and gid " + id);
        } catch (IOException | SandboxException e) {
            return asRoot("the image store " + root + " could not be pinned: " + e.getMessage());
        }
    }

    private static SandboxHostUser asRoot(String why) {
        System.getLogger(SandboxHostUser.class.getName()).log(System.Logger.Level.WARNING,
                "process runtime: jobs run as host root, because " + why);
        return new SandboxHostUser(List.of(), null, null, "host root (" + why + ")");
    }

    private static synchronized Path pinnedStore(Path root) throws IOException, SandboxException {
        Path pin = PINNED_STORES.get(root);
        if (pin == null) {
            Files.createDirectories(root);
            var pinned = MountPins.atDefaultRoot().pinNodeDirectory("image-store-" + PINNED_STORES.size(), root);
            pin = Path.of(pinned.mounts().getFirst().hostPath());
            PINNED_STORES.put(root, pin);
        }
        return pin;
    }

    /** What goes before bwrap on its command line, after the cgroup join: empty to start it as the agent. */
    List<String> startPrefix() {
        return startPrefix;
    }

    /** An image's root filesystem by a path bwrap can look up as this user. */
    Path reachable(Path rootfs) {
        if (storePin == null) {
            return rootfs;
        }
        Path path = rootfs.toAbsolutePath().normalize();
        return path.startsWith(storeRoot) ? storePin.resolve(storeRoot.relativize(path)) : rootfs;
    }

    /** Who the jobs are on the host, and why when that is root. */
    String describe() {
        return description;
    }
}
