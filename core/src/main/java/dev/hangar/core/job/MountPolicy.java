package dev.hangar.core.job;

import dev.hangar.core.runtime.Mount;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.InvalidPathException;
import java.nio.file.LinkOption;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Optional;
import java.util.Set;
import java.util.stream.Stream;

/**
 * Which host paths jobs may mount: only paths under an allow-listed root, as written and again
 * after following every symlink, so no link can reach outside; a path with '.' or '..' in it is refused (the kernel
 * takes '..' after a link). Checked at submit and again by
 * the agent before the sandbox is made.
 */
public record MountPolicy(List<Path> allowedRoots) {
    /** Sandbox paths a mount may not cover: the runtime's own mounts (/run/hangar-init: the Podman driver's init). */
    private static final Set<String> RESERVED = Set.of("/", "/proc", "/dev", "/sys", "/tmp", "/work", "/usr", "/etc",
            "/bin", "/lib", "/lib64", "/sbin", "/run/hangar-init");

    /** Roots as named (normalized): of another host, as a heartbeat gives them, or see {@link #onThisHost}. */
    public MountPolicy {
        allowedRoots = allowedRoots.stream().map(Path::normalize).toList();
    }

    /**
     * Roots on this host, each with its links resolved, as {@link #check} resolves the paths it
     * compares with them, and also as named, so that a cluster, which matches paths by name, routes a
     * job that names a path through a root's link here. Adding the name widens nothing: a resolved
     * path passes through no link, so it lies under the name only if that is a real directory. A
     * name with '..' is left out, as it would mean another directory once taken literally.
     */
    public static MountPolicy onThisHost(List<Path> allowedRoots) {
        return new MountPolicy(allowedRoots.stream()
                .flatMap(root -> Stream.concat(Stream.of(real(root)), asNamed(root).stream()))
                .distinct().toList());
    }

    private static Optional<Path> asNamed(Path root) {
        Path absolute = root.toAbsolutePath();
        boolean hasDotDot = false;
        for (Path part : absolute) {
            hasDotDot |= part.toString().equals("..");
        }
        return hasDotDot ? Optional.empty() : Optional.of(absolute.normalize());
    }

    public static MountPolicy none() {
        return new MountPolicy(List.of());
    }

    /**
     * What is wrong with these mounts on this host: each host path must lie under a root as written
     * (without '.' or '..'), exist, and lie under a root with its links followed too.
     */
    public List<FieldError> check(List<Mount> mounts) {
        return check(mounts, true);
    }

    /**
     * What is wrong with these mounts on hosts this one cannot see, as a cluster's server checks
     * them against its nodes' roots: each host path, as written (without '.' or '..'), must lie under a
     * root. The node that runs the job checks the path itself ({@link #check}).
     */
    public List<FieldError> checkByName(List<Mount> mounts) {
        return check(mounts, false);
    }

    private List<FieldError> check(List<Mount> mounts, boolean onThisHost) {
        var errors = new ArrayList<FieldError>();
        if (mounts.size() > SpecLimits.MAX_MOUNTS) {
            // why not each entry too: thousands of them would each cost file system calls and an error
            return List.of(new FieldError("mounts", "has more than " + SpecLimits.MAX_MOUNTS + " entries"));
        }
        var targets = new HashMap<String, Integer>();
        for (int i = 0; i < mounts.size(); i++) {
            Mount mount = mounts.get(i);
            check("mounts[" + i + "]", mount, onThisHost, errors);
            Integer first = mount == null || mount.sandboxPath() == null ? null : targets.putIfAbsent(mount.sandboxPath(), i);
            if (first != null) {
                // why: one would hide the other, and which one depends on the runtime
                errors.add(new FieldError("mounts[" + i + "].sandboxPath", "'" + mount.sandboxPath()
                        + "' is mounts[" + first + "]'s too; each mount needs a path of its own"));
            }
        }
        return errors;
    }

    /** Whether this host can name the path: Path.of refuses text its file name encoding cannot carry. */
    private static boolean nameable(String path) {
        try {
            Path.of(path);
            return true;
        } catch (InvalidPathException e) {
            return false;
        }
    }

    private static String notNameable(String path) {
        String why = JobSpecValidator.unencodable(path);
        return why != null ? why : "holds characters this host's file names cannot ("
                + System.getProperty("sun.jnu.encoding") + ")";
    }

    /** The host path as a lease matches it against a node's roots: as written, with '..' resolved. */
    public static String byName(String hostPath) {
        return Path.of(hostPath).normalize().toString();
    }

    /**
     * A job's host paths as a lease matches them ({@link #byName}); none if any of them is not an
     * absolute path without a NUL, so that such a job (which a submit refuses) fits any node, and
     * the one that leases it refuses it with the reason rather than it waiting for ever.
     */
    public static List<String> namesForLease(List<String> hostPaths) {
        if (hostPaths.stream().anyMatch(path -> path == null || !path.startsWith("/") || path.contains("\0")
                || !nameable(path))) {
            return List.of();
        }
        return hostPaths.stream().map(MountPolicy::byName).toList();
    }

    private static final String NOT_PLAIN = "must not contain a comma or a control character";

    /**
     * Whether a path holds no comma and no control character: some runtimes take a mount as one
     * comma-separated option string (ctr's --mount), where a comma would start an option of the
     * job's own, such as a second src.
     */
    public static boolean plain(String path) {
        return path.chars().noneMatch(c -> c == ',' || c < 0x20 || c == 0x7f);
    }

    private void check(String field, Mount mount, boolean onThisHost, List<FieldError> errors) {
        if (mount == null) {
            errors.add(new FieldError(field, "must not be null"));
            return;
        }
        if (mount.hostPath() == null || mount.sandboxPath() == null) {
            if (mount.hostPath() == null) {
                errors.add(new FieldError(field + ".hostPath", "is required"));
            }
            if (mount.sandboxPath() == null) {
                errors.add(new FieldError(field + ".sandboxPath", "is required"));
            }
            return;
        }
        String target = mount.sandboxPath();
        if (target.contains("\0")) { // before Path.of, which throws on it
            errors.add(new FieldError(field + ".sandboxPath", "must not contain a NUL character"));
        } else if (!nameable(target)) {
            errors.add(new FieldError(field + ".sandboxPath", notNameable(target)));
        } else if (!plain(target)) {
            errors.add(new FieldError(field + ".sandboxPath", NOT_PLAIN));
        } else if (!target.startsWith("/") || !Path.of(target).normalize().toString().equals(target)) {
            errors.add(new FieldError(field + ".sandboxPath", "must be an absolute, normalized path without '..'"));
        } else if (RESERVED.contains(target) || target.startsWith("/proc/") || target.startsWith("/dev/")
                || target.startsWith("/sys/") || target.startsWith("/run/hangar-init/") || target.equals("/run")) {
            // /run: a mount there would hide the init the runtimes bind at /run/hangar-init
            errors.add(new FieldError(field + ".sandboxPath", "'" + target + "' is the runtime's own; choose another path"));
        }
        String source = mount.hostPath();
        if (!source.startsWith("/") || source.contains("\0")) {
            errors.add(new FieldError(field + ".hostPath", source.contains("\0") ? "must not contain a NUL character"
                    : "must be an absolute path"));
            return;
        }
        if (!plain(source)) {
            errors.add(new FieldError(field + ".hostPath", NOT_PLAIN));
            return;
        }
        if (!nameable(source)) {
            errors.add(new FieldError(field + ".hostPath", notNameable(source)));
            return;
        }
        if (allowedRoots.isEmpty()) {
            errors.add(new FieldError(field + ".hostPath", "no host mounts are allowed here (a node allows paths "
                    + "when started with --allow-mount)"));
            return;
        }
        // By name first, and only a path under a root is looked at on the host: a caller must not learn
        // whether a path elsewhere exists, nor where a link (/proc/self/cwd, say) leads
        Path host = Path.of(source);
        if (!underARoot(host.normalize())) {
            errors.add(new FieldError(field + ".hostPath", "'" + source + "' is not under an allowed host path "
                    + allowedRoots));
            return;
        }
        if (!host.normalize().equals(host)) {
            // why not resolved as text: the kernel takes '..' after following a link, so the path written may lead
            // elsewhere than its text says, and whether it exists there would be told
            errors.add(new FieldError(field + ".hostPath", "'" + source + "' must be written without '.' or '..'"
                    + " (as " + host.normalize() + ", if that is the path meant)"));
            return;
        }
        if (!onThisHost) {
            return;
        }
        // where it leads first: whether a path exists is told only of paths under the roots
        if (!underARoot(real(host))) {
            errors.add(new FieldError(field + ".hostPath", "'" + source + "' leads through a link to a path that is not"
                    + " under an allowed host path " + allowedRoots));
        } else if (!Files.exists(host, LinkOption.NOFOLLOW_LINKS)) {
            errors.add(new FieldError(field + ".hostPath", "'" + source + "' does not exist"));
        }
    }

    private boolean underARoot(Path path) {
        return allowedRoots.stream().anyMatch(path::startsWith);
    }

    /**
     * The path with every link and '..' resolved; for a missing path, its deepest existing ancestor
     * resolved and the rest as written.
     */
    private static Path real(Path path) {
        Path absolute = path.toAbsolutePath().normalize();
        Path missing = absolute.getFileSystem().getPath("");
        for (Path at = absolute; at != null; at = at.getParent()) {
            try {
                return at.toRealPath().resolve(missing);
            } catch (IOException e) {
                missing = at.getFileName() == null ? missing : at.getFileName().resolve(missing);
            }
        }
        return absolute;
    }
}
