package dev.hangar.runtime.process;

import dev.hangar.core.image.ImageStore;
import dev.hangar.core.runtime.SandboxException;
import dev.hangar.runtime.support.HostUser;
import dev.hangar.runtime.support.MountPins;
import dev.hangar.runtime.support.PinnedMounts;
import dev.hangar.runtime.support.ShortCommand;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.time.Duration;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;

/**
 * Who bwrap is started as, and so who a job is on the host: bwrap maps the sandbox's user to the uid
 * that starts it. Under a root agent every job was host root, free to leave a setuid-root program in
 * a writable mount, or to use up root's per-user limits (its 128 inotify instances) for the whole
 * host. So under root bwrap is started as a host user no account has ({@link HostUser#JOBS_ID})
 * through setpriv, after the cgroup join. That user cannot enter the agent's data directory, root's
 * alone, which holds the image store: it reaches the images through a pin of the store (see {@link
 * MountPins}), made once per store and process and taken away as the process exits (the next agent's
 * sweep, if it is killed), as it reaches a job's mounts through their pins. Without setpriv, or where
 * pins cannot be made (root in a container), bwrap is started as root, as before, and the probe says so.
 */
final class SandboxHostUser {
    /** Image stores this process pinned, by their root: one pin each, however many runtimes use them. */
    private static final Map<Path, Path> PINNED_STORES = new HashMap<>();
    private static int pinsMade;

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
            int id = HostUser.JOBS_ID;
            return new SandboxHostUser(List.of(setpriv.get().toString(), "--reuid=" + id, "--regid=" + id,
                    "--clear-groups", "--"), root, pin, "host uid and gid " + id + KnownId.WARNING);
        } catch (IOException | SandboxException e) {
            return asRoot("the image store " + root + " could not be pinned: " + e.getMessage());
        }
    }

    private static SandboxHostUser asRoot(String why) {
        System.getLogger(SandboxHostUser.class.getName()).log(System.Logger.Level.WARNING,
                "process runtime: jobs run as host root, because " + why);
        return new SandboxHostUser(List.of(), null, null, "host root (" + why + ")");
    }

    /** Looked up once per process, when first needed (only under root). */
    private static final class KnownId {
        static final String WARNING = accountsOf(HostUser.JOBS_ID);
    }

    /** A warning when an account or group has the id after all: it could trace the jobs and pass to the pins. */
    private static String accountsOf(int id) {
        String known = List.of("passwd", "group").stream()
                .map(database -> ShortCommand.read(List.of("getent", database, Integer.toString(id)), Duration.ofSeconds(10)))
                .filter(ShortCommand.Result::ok).map(result -> result.output().strip()).filter(line -> !line.isEmpty())
                .collect(java.util.stream.Collectors.joining("; "));
        if (known.isEmpty()) {
            return "";
        }
        System.getLogger(SandboxHostUser.class.getName()).log(System.Logger.Level.WARNING, "process runtime: the id its"
                + " jobs have on the host, " + id + ", is known to this host (" + known + "), which may trace them");
        return " (known to this host: " + known + ")";
    }

    private static synchronized Path pinnedStore(Path root) throws IOException, SandboxException {
        if (!Files.exists(root)) {
            Files.createDirectories(root);
            Files.setPosixFilePermissions(root, PosixFilePermissions.fromString("rwxr-xr-x")); // whatever the umask
        }
        Path pin = PINNED_STORES.get(root);
        if (pin == null || !sameDirectory(pin, root)) { // a store made again since shows in no earlier pin
            PinnedMounts pinned = MountPins.atDefaultRoot().pinNodeDirectory("image-store-" + pinsMade++, root);
            Runtime.getRuntime().addShutdownHook(new Thread(pinned::close, "hangar-image-store-unpin"));
            pin = Path.of(pinned.mounts().getFirst().hostPath());
            PINNED_STORES.put(root, pin);
        }
        return pin;
    }

    private static boolean sameDirectory(Path pin, Path root) {
        try {
            return Files.isSameFile(pin, root);
        } catch (IOException e) {
            return false;
        }
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
