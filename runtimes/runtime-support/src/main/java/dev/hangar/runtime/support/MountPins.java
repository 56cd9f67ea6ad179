package dev.hangar.runtime.support;

import dev.hangar.core.job.FieldError;
import dev.hangar.core.job.MountPolicy;
import dev.hangar.core.runtime.Mount;
import dev.hangar.core.runtime.SandboxException;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.regex.Pattern;

/**
 * Where a node pins its jobs' host mounts (see {@link PinnedMounts}): a directory only root may
 * change or list, holding one directory per owning process ({@link OwningProcess#label()}), one per
 * sandbox within it, and in that one bind mount per job mount. The process runtime's jobs' host group
 * ({@link HostUser#JOBS_ID}, no account's) may pass through it, and no one else: under root that
 * runtime starts bwrap as that user, and bwrap looks the pins it is given up by path.
 *
 * <p>Why: the allow-list is checked on a path, and a runtime mounts a path, later. A job with a
 * writable mount under an allowed root can swap a checked directory for a link to "/" in between,
 * and the runtime would mount the host's root. A pin is made from the checked directory itself
 * (its shell's working directory, entered and then checked to be the allowed path) and the runtime
 * is given the pin, which no job can reach.
 */
public final class MountPins {
    /** Root's own, emptied by a reboot as the mounts are. */
    public static final Path DEFAULT_ROOT = Path.of("/run/hangar/mounts");
    private static final String OWNER_PREFIX = "owner-";
    private static final Pattern PLAIN_NAME = Pattern.compile("[A-Za-z0-9][A-Za-z0-9._-]{0,99}");
    private static final Duration COMMAND_BOUND = Duration.ofSeconds(60);
    /** Passed through by the process runtime's jobs' group, listed and changed by root alone (see the class's comment). */
    private static final String ROOT_MODE = "rwx--x---";

    /** The script's exit code when a mount is no longer the path that was checked: the job's doing, not the host's. */
    static final int CHANGED = 3;

    /**
     * For each pair of arguments (the checked real path, the pin), makes the pin a recursive bind
     * mount of what is at the path now, if it is still that path: a directory is entered and the
     * kernel's own path of the working directory compared (/proc/self/cwd: a shell's {@code pwd -P}
     * may work it out again from the path it was given, as bash's does), then mounted as that working
     * directory (through /proc/self/cwd, which a rename cannot move); a file's directory likewise, and
     * the file (any kind but a directory or a link), mounted by name from there, must be the file that
     * name shows once it is mounted. --no-canonicalize keeps mount(8) from turning the source back
     * into a path. Recursive, as every runtime's own bind is: file systems mounted below stay visible.
     */
    private static final String SCRIPT = """
            changed() { echo "$1 is no longer what was checked${2:+: it now leads to $2}" >&2; exit %d; }
            # no set-user-id file nor device node works through a pin: the host user of sandboxes may pass
            # through the pins' directory, and an image's or a share's setuid-root file would make it root. Each
            # mount the pin holds (a share mounted below the path too) keeps its own options (ro, noexec, which a
            # remount would otherwise drop), nosuid and nodev added
            harden() {
              mounts=$(findmnt -R -l -n -o TARGET "$1") && [ -n "$mounts" ] && printf '%%s\\n' "$mounts" |
                while IFS= read -r m; do
                  opts=$(findmnt -n -o VFS-OPTIONS -M "$m" | tail -n 1)
                  [ -n "$opts" ] && mount -o "remount,bind,$opts,nosuid,nodev" "$m" || exit 4
                done || { echo "$1: its mounts could not be made nosuid and nodev" >&2; umount -l "$1"; exit 4; }
            }
            # a directory root cannot enter (a root-squashed or stale network share) is the host's to mend
            enter() {
              cd -P "$1" 2>/dev/null && return
              if [ -L "$1" ] || [ ! -d "$1" ]; then changed "$2"; fi
              echo "$1: root cannot enter it" >&2; exit 4
            }
            while [ $# -gt 0 ]; do
              src=$1; pin=$2; shift 2
              if [ -d "$pin" ]; then
                enter "$src" "$src"
                now=$(readlink /proc/self/cwd); [ "$now" = "$src" ] || changed "$src" "$now"
                mount --no-canonicalize --rbind /proc/self/cwd "$pin" || exit 4
                harden "$pin"
              else
                dir=${src%%/*}; name=${src##*/}
                enter "${dir:-/}" "$src"
                now=$(readlink /proc/self/cwd); [ "$now" = "${dir:-/}" ] || changed "$src" "$now/$name"
                [ -e "./$name" ] && [ ! -L "./$name" ] && [ ! -d "./$name" ] || changed "$src"
                mount --no-canonicalize --rbind "./$name" "$pin" || exit 4
                if [ "$(stat -c %%d:%%i "./$name")" != "$(stat -L -c %%d:%%i "$pin")" ]; then
                  umount -l "$pin"; changed "$src"
                fi
                harden "$pin"
              fi
              cd /
            done
            """.formatted(CHANGED);

    private final Path root;
    private final Path ownDir;
    /** Why pins cannot be made here, once a trial found so (see {@link #trial}); null while they can. */
    private volatile String unpinnable;

    public MountPins(Path root) {
        this.root = root;
        this.ownDir = root.resolve(OWNER_PREFIX + OwningProcess.current().label());
    }

    /** Removes this process's directory of pins once it holds none (at the agent's close). */
    public void removeOwnDirectoryIfEmpty() {
        PinnedMounts.deleteQuietly(ownDir);
    }

    /** The node's pins under {@link #DEFAULT_ROOT}. */
    public static MountPins atDefaultRoot() {
        return new MountPins(DEFAULT_ROOT);
    }

    /**
     * Why this process's mount namespace is not the host's (that of pid 1), or empty if it is: a pin
     * made here is seen by the runtimes this process starts, but not by a daemon of the host's such as
     * containerd (a systemd unit with PrivateTmp=, ProtectSystem=, ProtectHome= and the like gives its
     * process a namespace of its own).
     */
    public static Optional<String> privateMountNamespace() {
        try {
            Path own = Files.readSymbolicLink(Path.of("/proc/self/ns/mnt"));
            Path host = Files.readSymbolicLink(Path.of("/proc/1/ns/mnt"));
            return own.equals(host) ? Optional.empty()
                    : Optional.of("this process's mount namespace (" + own + ") is not the host's (" + host + ")");
        } catch (IOException | UnsupportedOperationException e) {
            return Optional.empty(); // cannot tell
        }
    }

    /** Whether this process may make pins: mounting takes root. */
    public static boolean possible() {
        return HostUser.root();
    }

    /**
     * Pins {@code mounts} for sandbox {@code sandboxId}, once each host path, with its links resolved,
     * passes {@code policy} again. Without root the mounts are only resolved: the runtime is given
     * each real path, which a job may still swap before the runtime mounts it (documented).
     *
     * @throws SandboxException caused by the job when a path is no longer allowed or changed while it
     *                          was pinned; the host's fault when a pin could not be made
     */
    public PinnedMounts pin(String sandboxId, List<Mount> mounts, MountPolicy policy) throws SandboxException {
        if (mounts.isEmpty()) {
            return PinnedMounts.none();
        }
        List<Mount> real = resolved(mounts, policy);
        return possible() && unpinnable == null ? pinResolved(sandboxId, real) : PinnedMounts.unpinned(real);
    }

    /**
     * Makes one pin of an empty directory and takes it away, so that a host where root cannot mount
     * (root in a container, a read-only /run) is found at start rather than by every job with mounts:
     * there the mounts are given to runtimes unpinned, as under an agent that is not root.
     *
     * @return why pins cannot be made here, or empty if they can (or the trial could not tell)
     */
    public Optional<String> trial() {
        if (!possible()) {
            unpinnable = "the agent is not root";
            return Optional.of(unpinnable);
        }
        Path source = null;
        try {
            source = Files.createTempDirectory("hangar-pin-trial");
            pinResolved("trial-" + System.nanoTime(), List.of(new Mount(source.toRealPath().toString(), "/trial", true)))
                    .close();
            unpinnable = null;
            return Optional.empty();
        } catch (SandboxException e) {
            unpinnable = e.getMessage(); // root could not mount
            return Optional.of(unpinnable);
        } catch (IOException e) {
            return Optional.empty(); // no temporary directory to try with: that says nothing of mounting
        } finally {
            if (source != null) {
                PinnedMounts.deleteQuietly(source);
            }
        }
    }

    /**
     * Pins a directory of the node's own, not a job's (an image store), read by a runtime that starts
     * its sandboxes as a user who cannot enter the directory it is in (the agent's data directory,
     * root's alone); the pin stays for as long as the caller keeps it, or this process lives.
     */
    public PinnedMounts pinNodeDirectory(String name, Path directory) throws SandboxException {
        try {
            return pinResolved(name, List.of(new Mount(directory.toRealPath().toString(), "/", true)));
        } catch (IOException e) {
            throw new SandboxException("could not pin " + directory + ": " + e.getMessage(), e);
        }
    }

    /** Pins mounts whose host paths are real paths that passed the policy: each must still be that path. */
    PinnedMounts pinResolved(String sandboxId, List<Mount> real) throws SandboxException {
        Path dir = ownDir.resolve(dirName(sandboxId));
        var pinned = new ArrayList<Mount>(real.size());
        var argv = new ArrayList<String>(List.of("/bin/sh", "-c", SCRIPT, "hangar-pin"));
        try {
            Files.createDirectories(root, PosixFilePermissions.asFileAttribute(PosixFilePermissions.fromString(ROOT_MODE)));
            openToSandboxes(root);
            if (root.startsWith(DEFAULT_ROOT.getParent())) { // made root's alone by earlier versions, until a reboot
                openToSandboxes(DEFAULT_ROOT.getParent());
            }
            Files.createDirectories(dir);
            for (int i = 0; i < real.size(); i++) {
                Mount mount = real.get(i);
                Path pin = dir.resolve(Integer.toString(i));
                if (Files.isDirectory(Path.of(mount.hostPath()), LinkOption.NOFOLLOW_LINKS)) {
                    Files.createDirectory(pin);
                } else {
                    Files.createFile(pin);
                }
                pinned.add(new Mount(pin.toString(), mount.sandboxPath(), mount.readOnly()));
                argv.add(mount.hostPath());
                argv.add(pin.toString());
            }
        } catch (IOException e) {
            PinnedMounts.release(dir, PinnedMounts.pathsOf(pinned));
            throw new SandboxException("could not make the mount pins of sandbox " + sandboxId + ": " + e.getMessage(), e);
        }
        ShortCommand.Result result = run(argv);
        if (result.code() != 0) {
            PinnedMounts.release(dir, PinnedMounts.pathsOf(pinned));
            String why = "the host paths of sandbox " + sandboxId + "'s mounts could not be pinned: " + result.output();
            if (result.code() == CHANGED) {
                throw SandboxException.causedByTheJob(why);
            }
            throw new SandboxException(why);
        }
        return PinnedMounts.pinned(dir, pinned);
    }

    private static void openToSandboxes(Path dir) throws IOException {
        Files.setAttribute(dir, "unix:gid", HostUser.JOBS_ID);
        Files.setPosixFilePermissions(dir, PosixFilePermissions.fromString(ROOT_MODE));
    }

    /** Each mount with its host path's links resolved, checked again as such. */
    private static List<Mount> resolved(List<Mount> mounts, MountPolicy policy) throws SandboxException {
        var real = new ArrayList<Mount>(mounts.size());
        for (Mount mount : mounts) {
            try {
                real.add(new Mount(Path.of(mount.hostPath()).toRealPath().toString(), mount.sandboxPath(),
                        mount.readOnly()));
            } catch (IOException | RuntimeException e) {
                throw SandboxException.causedByTheJob("mount host path " + mount.hostPath() + " cannot be resolved: "
                        + e.getMessage());
            }
        }
        List<FieldError> forbidden = policy.check(real);
        if (!forbidden.isEmpty()) {
            throw SandboxException.causedByTheJob("a mount's host path changed since it was checked: " + forbidden);
        }
        return real;
    }

    /** The sandbox id as a directory name: itself if plain, else a name of its hash. */
    private static String dirName(String sandboxId) {
        if (PLAIN_NAME.matcher(sandboxId).matches()) {
            return sandboxId;
        }
        return "sandbox-" + Integer.toHexString(sandboxId.hashCode()) + "-" + System.nanoTime();
    }

    /**
     * Takes away the pins of processes that are gone (an agent killed before it could): unmounts them
     * and removes their directories. Nothing is ever removed below a pin that is still mounted.
     *
     * @return the pins removed
     */
    public int sweep() {
        if (!Files.isDirectory(root) || !possible()) {
            return 0;
        }
        int removed = 0;
        try (var owners = Files.list(root)) {
            for (Path owner : owners.toList()) {
                String name = owner.getFileName().toString();
                if (name.startsWith(OWNER_PREFIX) && OwningProcess.gone(name.substring(OWNER_PREFIX.length()))) {
                    removed += sweepOwner(owner);
                }
            }
        } catch (IOException e) {
            return removed;
        }
        return removed;
    }

    private static int sweepOwner(Path owner) throws IOException {
        int removed = 0;
        try (var sandboxes = Files.list(owner)) {
            for (Path sandbox : sandboxes.filter(Files::isDirectory).toList()) {
                List<Path> pins;
                try (var entries = Files.list(sandbox)) {
                    pins = entries.toList();
                }
                removed += PinnedMounts.release(sandbox, pins);
            }
        }
        PinnedMounts.deleteQuietly(owner);
        return removed;
    }

    static ShortCommand.Result run(List<String> argv) {
        return ShortCommand.run(argv, COMMAND_BOUND);
    }
}
