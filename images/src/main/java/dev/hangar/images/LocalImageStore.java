package dev.hangar.images;

import dev.hangar.core.image.Image;
import dev.hangar.core.image.ImageHold;
import dev.hangar.core.image.ImageNotFoundException;
import dev.hangar.core.image.ImageStore;
import dev.hangar.core.json.Json;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.TreeSet;
import java.util.UUID;
import java.util.regex.Pattern;
import java.util.stream.Stream;

/**
 * Images under one root: each version of an image in a directory of its own,
 * {@code <root>/.images/<name>@<made>/} with {@code rootfs/} and {@code image.json}, and the name a
 * link to the version it has now, {@code <root>/<name>}. A version is made in a scratch directory
 * and linked into place, so a half-made image is never seen, and its path never changes: a removal
 * takes the name away at once and deletes the version's files once no sandbox on the host holds it
 * ({@link #hold}). Making and removing hold the store's lock, which other processes on the root (an
 * agent, a {@code hangar image} command) heed too. A store of an older Hangar, whose names are
 * directories of their own, is read as it is.
 */
public final class LocalImageStore implements ImageStore {
    private static final Pattern NAME = Pattern.compile("[a-z0-9][a-z0-9._-]{0,63}");
    /** Where an image is made, and where one is moved to be deleted: neither is an image, and a crash may leave them. */
    private static final String MAKING = ".making-";
    private static final String REMOVING = ".removing-";
    /** Where the versions of images are, each named by {@link ImageUses#version}. */
    private static final String VERSIONS = ".images";
    /** Directories every runtime mounts over; they must exist in a read-only root. */
    private static final List<String> MOUNT_POINTS = List.of("proc", "dev", "sys", "tmp", "work", "etc", "root");
    /** Files a runtime binds from the host when a job has a network. */
    private static final List<String> MOUNT_FILES = List.of("etc/resolv.conf", "etc/hosts");

    private static final System.Logger LOG = System.getLogger(LocalImageStore.class.getName());
    /**
     * What tar (in the C locale) and {@link HostCommand} say of an unpacking that failed for the host, not the
     * tarball: a full disk (a short write, or ENOSPC as strerror says it), a quota, a read-only file system, a tar
     * that hung.
     */
    private static final List<String> HOST_FAULTS = List.of("Wrote only", "No space left on device",
            "Disk quota exceeded", "Read-only file system", "did not finish in", "was interrupted");

    private final Path root;
    private final Map<String, BuiltinImage> builtins;
    private final StoreLock lock;
    private final ImageUses uses;
    /** When making a built-in again by its newer recipe last failed (System.nanoTime), by name. */
    private final Map<String, Long> remakeFailedAt = new java.util.concurrent.ConcurrentHashMap<>();
    private static final java.time.Duration REMAKE_AFTER = java.time.Duration.ofMinutes(10);
    /** The last first make of a built-in that failed, by name: those that waited for it fail with it (see resolve). */
    private final Map<String, MakeFailure> firstMakeFailed = new java.util.concurrent.ConcurrentHashMap<>();

    private record MakeFailure(long endedAtNanos, String reason) {}

    public LocalImageStore(Path root) {
        this(root, List.of(new BusyboxImage(), new DebianImage()));
    }

    LocalImageStore(Path root, List<BuiltinImage> builtins) {
        this.root = root;
        var byName = new java.util.LinkedHashMap<String, BuiltinImage>();
        builtins.forEach(b -> byName.put(b.name(), b));
        this.builtins = Map.copyOf(byName);
        this.lock = new StoreLock(root);
        this.uses = new ImageUses(root);
    }

    @Override
    public Image resolve(String name) throws IOException {
        Path dir = root.resolve(checkedName(name));
        var stored = find(name);
        BuiltinImage builtin = builtins.get(name);
        if (stored.isPresent() && !outdated(builtin)) {
            return stored.get();
        }
        if (builtin == null) {
            throw new ImageNotFoundException(name, names());
        }
        // why said before the lock: another process making it holds the lock for as long as that takes
        LOG.log(System.Logger.Level.INFO, "the built-in image " + name + (stored.isPresent()
                ? " in " + root + " was made by an older recipe: making it again" : " is not made yet in " + root
                + ": making it") + ", or waiting for the process making it (jobs that use it wait for it)");
        long waitingFrom = System.nanoTime();
        try (var held = lock.hold()) {
            // why again: another process, or thread, may have made it while this one waited
            if (!Files.isRegularFile(dir.resolve("image.json")) || outdated(builtin)) {
                MakeFailure failed = firstMakeFailed.get(name);
                if (failed != null && failed.endedAtNanos() - waitingFrom > 0 && find(name).isEmpty()) {
                    // why not make it again: each job waiting for it (a warm pool's, a burst's) would try in turn, each
                    // up to a debootstrap's half hour, against a mirror that just failed
                    throw new IOException("making the built-in image " + name + " failed while this waited for it: "
                            + failed.reason());
                }
                try {
                    makeBuiltin(builtin);
                    firstMakeFailed.remove(name);
                } catch (IOException | RuntimeException e) {
                    Optional<Image> older = find(name);
                    if (older.isEmpty()) {
                        firstMakeFailed.put(name, new MakeFailure(System.nanoTime(), String.valueOf(e.getMessage())));
                        throw e;
                    }
                    // the older recipe's image still runs jobs: they are not failed for want of the new one
                    remakeFailedAt.put(name, System.nanoTime());
                    LOG.log(System.Logger.Level.WARNING, "kept the built-in image " + name + " made by an older recipe;"
                            + " making it again is tried in " + REMAKE_AFTER.toMinutes() + " minutes");
                    return older.get();
                }
                deleteRemoved(); // the older recipe's image, unless a sandbox holds it still
            }
        }
        return read(dir);
    }

    /**
     * Whether the store's image of a built-in was made by an older recipe than the built-in's now. One
     * this host cannot make again is kept as it is, as is one whose making again failed lately: it
     * still runs jobs.
     */
    private boolean outdated(BuiltinImage builtin) throws IOException {
        if (builtin == null || !builtin.buildable()) {
            return false;
        }
        Long failedAt = remakeFailedAt.get(builtin.name());
        if (failedAt != null && System.nanoTime() - failedAt < REMAKE_AFTER.toNanos()) {
            return false; // (the failure said so already; a make each job would wait for would fail as it did)
        }
        Path entry = root.resolve(builtin.name());
        try {
            // why older only: a newer node on the same store made it by a recipe this one does not know
            return metadata(entry).builtBy() < builtin.recipe();
        } catch (java.nio.file.NoSuchFileException e) {
            return false; // not made: no older recipe's
        }
    }

    /**
     * Makes a built-in image on its first use, saying how it went: a job that names one waits for it, minutes
     * for debian, and without a word the node would look stuck.
     */
    private void makeBuiltin(BuiltinImage builtin) throws IOException {
        long began = System.nanoTime();
        try {
            make(builtin.name(), "built-in", builtin.recipe(), builtin::build);
        } catch (IOException | RuntimeException e) {
            LOG.log(System.Logger.Level.WARNING, "could not make the built-in image " + builtin.name() + ": " + e.getMessage());
            throw e;
        }
        LOG.log(System.Logger.Level.INFO, String.format("made the built-in image %s in %.1f s", builtin.name(),
                (System.nanoTime() - began) / 1e9));
    }

    @Override
    public boolean madeOnFirstUse(String name) {
        BuiltinImage builtin = builtins.get(name);
        try {
            return builtin != null && builtin.buildable() && (find(name).isEmpty() || outdated(builtin));
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    @Override
    public ImageHold hold(String name) throws IOException {
        for (int tries = 0; tries < 3; tries++) {
            Image image = resolve(name);
            String version = ImageUses.version(image);
            Path heldFile = uses.acquire(version);
            boolean still = false;
            try {
                // why again after the hold: a removal, or a move of an older store's image, that came first
                still = find(name).filter(image::equals).isPresent();
            } finally {
                if (!still) {
                    release(name, version, heldFile);
                }
            }
            if (still) {
                return new ImageHold(image, () -> release(name, version, heldFile));
            }
        }
        throw new ImageNotFoundException(name, names());
    }

    /** Whether the name has this version now. */
    private boolean hasVersion(String name, String version) {
        return find(name).map(ImageUses::version).filter(version::equals).isPresent();
    }

    /** Lets go for one sandbox; the last one on a removed version has its files deleted. */
    private void release(String name, String version, Path heldFile) {
        if (!ImageUses.release(heldFile) || !Files.exists(root.resolve(VERSIONS).resolve(version))
                || hasVersion(name, version)) {
            return;
        }
        // why on another thread: a sandbox lets go as it is destroyed, and a big image takes seconds to delete
        Thread.ofVirtual().name("image-delete").start(() -> {
            try (var held = lock.hold()) {
                deleteRemoved();
            } catch (IOException | RuntimeException e) {
                LOG.log(System.Logger.Level.WARNING, "could not delete removed image " + version + ": " + e.getMessage());
            }
        });
    }

    @Override
    public Path root() {
        return root;
    }

    /** Stored images, and the built-ins this host can make (a job naming one it cannot is not offered here). */
    @Override
    public Set<String> names() {
        var names = new TreeSet<String>();
        builtins.values().stream().filter(BuiltinImage::buildable).forEach(b -> names.add(b.name()));
        list().forEach(image -> names.add(image.name()));
        return names;
    }

    @Override
    public List<Image> list() {
        if (!Files.isDirectory(root)) {
            return List.of();
        }
        try (Stream<Path> dirs = Files.list(root)) {
            var images = new ArrayList<Image>();
            // why by name: a scratch or doomed directory a crash left (.making-*, .removing-*) is no image
            // (an image removed since it was listed, by another process, is skipped: find sees none)
            for (String name : dirs.map(d -> d.getFileName().toString()).sorted().toList()) {
                find(name).ifPresent(images::add);
            }
            return images;
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    /**
     * The image of this name as stored now, without building a built-in one not made yet; empty if
     * none is (removed, or being made).
     */
    public java.util.Optional<Image> find(String name) {
        if (name == null || !NAME.matcher(name).matches()) {
            // no image can have it (a scratch or doomed directory a crash left, .making-* or .removing-*, is none)
            return java.util.Optional.empty();
        }
        return readIfThere(root.resolve(name));
    }

    /** The damages warned of: each image's once (its path and fault), a few at most. */
    private static final Set<String> DAMAGED_WARNED = java.util.concurrent.ConcurrentHashMap.newKeySet();

    /** The image an entry holds; empty if it is gone, or damaged (which is logged). */
    private static Optional<Image> readIfThere(Path dir) {
        try {
            return java.util.Optional.of(read(dir));
        } catch (java.nio.file.NoSuchFileException e) {
            return java.util.Optional.empty();
        } catch (DamagedImageException e) {
            // why not thrown: one damaged image would stop every list, and every job's check of its image name;
            // warned of once, as lists run every second or so
            if (DAMAGED_WARNED.add(e.getMessage())) {
                LOG.log(System.Logger.Level.WARNING, e.getMessage() + " (said once; it stays out of every list until"
                        + " removed or made again)");
            }
            return java.util.Optional.empty();
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    /**
     * Removed images whose files stay on disk because a sandbox on this host holds them: each is
     * deleted once the last of its sandboxes lets go.
     */
    public List<Image> removedButHeld() {
        Path versions = root.resolve(VERSIONS);
        if (!Files.isDirectory(versions)) {
            return List.of();
        }
        try (Stream<Path> dirs = Files.list(versions)) {
            Set<String> linked = linkedVersions();
            var kept = new ArrayList<Image>();
            for (Path version : dirs.sorted().toList()) {
                String key = version.getFileName().toString();
                if (!linked.contains(key) && uses.held(key)) {
                    readIfThere(version).ifPresent(kept::add);
                }
            }
            return kept;
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    /** Built-in images, made or not. */
    public Set<String> builtinNames() {
        return new TreeSet<>(builtins.keySet());
    }

    /** What this host lacks to make the built-in image of this name; empty if it can, or if no built-in has it. */
    public Optional<String> lackingToMake(String name) {
        BuiltinImage builtin = builtins.get(name);
        return builtin == null ? Optional.empty() : builtin.lacking();
    }

    @Override
    public Image importRootfs(String name, Path source) throws IOException {
        try (var held = lock.hold()) {
            return importLocked(name, source);
        }
    }

    private Image importLocked(String name, Path source) throws IOException {
        checkedName(name);
        if (builtins.containsKey(name)) {
            throw new IllegalArgumentException("name: '" + name + "' is a built-in image; choose another name");
        }
        if (Files.exists(root.resolve(name))) {
            throw new IllegalArgumentException("name: image '" + name + "' exists; remove it first (hangar image rm " + name + ")");
        }
        Path from = source.toAbsolutePath().normalize();
        if (!Files.exists(from)) {
            throw new IllegalArgumentException("source: " + source + " does not exist");
        }
        if (Files.isDirectory(from)) {
            make(name, from.toString(), null, rootfs -> HostCommand.run(List.of("cp", "-a", from + "/.", rootfs.toString()), 600));
        } else if (Files.isRegularFile(from)) {
            // why: GNU tar recognises gzip, xz and zstd on extraction by itself
            make(name, from.toString(), null, rootfs -> {
                try {
                    HostCommand.run(List.of("tar", "-xf", from.toString(), "-C", rootfs.toString(), "--no-same-owner"), 600);
                } catch (IOException e) {
                    if (HOST_FAULTS.stream().anyMatch(String.valueOf(e.getMessage())::contains)) {
                        throw e; // a full disk, a quota, a tar that hung: the host's, to try again once mended
                    }
                    // why the source's fault: a file that is not a tarball, or a broken one, is bad input, not a failed host
                    throw new IllegalArgumentException("source: " + source + " could not be unpacked: " + e.getMessage(), e);
                }
            });
        } else {
            throw new IllegalArgumentException("source: " + source + " is neither a directory nor a tarball");
        }
        return read(root.resolve(name));
    }

    @Override
    public boolean remove(String name) throws IOException {
        Path entry = root.resolve(checkedName(name));
        try (var held = lock.hold()) {
            if (!Files.exists(entry, LinkOption.NOFOLLOW_LINKS)) {
                return false;
            }
            if (Files.isSymbolicLink(entry)) {
                Files.delete(entry); // the version's files wait in .images for the last sandbox on it
            } else {
                // an older store's image, a directory under its name: among the versions it waits as they do
                Path version = find(name).map(image -> root.resolve(VERSIONS).resolve(ImageUses.version(image)))
                        .filter(path -> !Files.exists(path))
                        .orElse(root.resolve(REMOVING + UUID.randomUUID())); // damaged: nothing can hold it
                Files.createDirectories(version.getParent());
                Files.move(entry, version);
            }
            deleteRemoved();
            return true;
        }
    }

    /**
     * Deletes the versions no name links to that no sandbox on this host holds (a removed image, or
     * one whose making stopped before its link), and what an older Hangar's removal left; the
     * store's lock is held, so no version is being made.
     */
    private void deleteRemoved() throws IOException {
        var gone = new ArrayList<Path>();
        Path versions = root.resolve(VERSIONS);
        Set<String> linked = linkedVersions();
        if (Files.isDirectory(versions)) {
            try (Stream<Path> dirs = Files.list(versions)) {
                for (Path version : dirs.toList()) {
                    String key = version.getFileName().toString();
                    if (!linked.contains(key) && uses.unheld(key)) {
                        gone.add(version);
                    }
                }
            }
        }
        // a hold that lost the race with a removal made its version's lock file again: unheld() deletes it
        for (String version : uses.versions()) {
            if (!linked.contains(version) && !Files.exists(versions.resolve(version))) {
                uses.unheld(version);
            }
        }
        try (Stream<Path> dirs = Files.list(root)) {
            dirs.filter(d -> d.getFileName().toString().startsWith(REMOVING)).forEach(gone::add);
        }
        for (Path dir : gone) {
            try {
                deleteTree(dir);
            } catch (IOException e) {
                // why not thrown: one that will not go must not stop the others, or the removal or make under way
                LOG.log(System.Logger.Level.WARNING, "cannot delete " + dir + ", a removed image: " + e.getMessage());
            }
        }
    }

    /** The versions the names have now: those they link to, and an older store's images under their names. */
    private Set<String> linkedVersions() throws IOException {
        try (Stream<Path> entries = Files.list(root)) {
            var linked = new java.util.HashSet<String>();
            for (Path entry : entries.toList()) {
                if (Files.isSymbolicLink(entry)) {
                    linked.add(Files.readSymbolicLink(entry).getFileName().toString());
                } else {
                    find(entry.getFileName().toString()).map(ImageUses::version).ifPresent(linked::add);
                }
            }
            return linked;
        }
    }

    /**
     * Moves an older store's images, each a directory under its name, among the versions with the
     * name a link to it, so that their paths stop changing; one a sandbox holds is left as it is for
     * now, as its sandbox has its path (a hold that comes meanwhile finds the path changed and looks again).
     */
    private void moveOlderLayout() throws IOException {
        List<Path> older;
        try (Stream<Path> entries = Files.list(root)) {
            older = entries.filter(entry -> !Files.isSymbolicLink(entry) && Files.isDirectory(entry)).toList();
        }
        for (Path entry : older) {
            String name = entry.getFileName().toString();
            Optional<String> version = find(name).map(ImageUses::version);
            Path target = version.map(v -> root.resolve(VERSIONS).resolve(v)).orElse(null);
            if (target == null || Files.exists(target)) {
                continue; // not an image (a dot directory, a damaged one)
            }
            Files.createDirectories(target.getParent());
            uses.whileUnheld(version.get(), () -> {
                Files.move(entry, target, StandardCopyOption.ATOMIC_MOVE);
                link(name, version.get());
            });
        }
    }

    /** Points the name at the version, replacing what the name was in one step. */
    private void link(String name, String version) throws IOException {
        Path link = Files.createSymbolicLink(root.resolve(MAKING + name + "-link-" + UUID.randomUUID()),
                Path.of(VERSIONS, version));
        Files.move(link, root.resolve(name), StandardCopyOption.ATOMIC_MOVE);
    }

    /**
     * Deletes what a process that crashed while making an image left (with the lock held no other
     * is making one, so every scratch directory is such a leftover), then removed images no sandbox holds.
     */
    private void sweepLeftovers() throws IOException {
        try (Stream<Path> dirs = Files.list(root)) {
            for (Path leftover : dirs.filter(d -> d.getFileName().toString().startsWith(MAKING)).toList()) {
                try {
                    deleteTree(leftover);
                } catch (IOException e) {
                    // why not thrown: one leftover that will not go must not stop every image being made after it
                    LOG.log(System.Logger.Level.WARNING, "cannot delete " + leftover + ", left by an image make that"
                            + " did not end: " + e.getMessage());
                }
            }
        }
        // after the scratch links: a version a crash left unlinked is then seen as such
        deleteRemoved();
        moveOlderLayout();
    }

    /**
     * Deletes what makes and removals of a process that crashed left, and removed images no sandbox
     * holds, as the next make would: for a node as it starts on the store.
     */
    public void sweep() throws IOException {
        if (!Files.isDirectory(root)) {
            return;
        }
        try (var held = lock.hold()) {
            sweepLeftovers();
        }
    }

    private interface Filler {
        void fill(Path rootfs) throws IOException;
    }

    /** Makes the image; {@code recipe} is a built-in's ({@link BuiltinImage#recipe}), null for an import. */
    private void make(String name, String source, Integer recipe, Filler filler) throws IOException {
        sweepLeftovers();
        Path scratch = root.resolve(MAKING + name + "-" + UUID.randomUUID());
        try {
            Path rootfs = Files.createDirectories(scratch.resolve("rootfs"));
            filler.fill(rootfs);
            try (Stream<Path> entries = Files.list(rootfs)) {
                if (entries.findAny().isEmpty()) {
                    // an empty directory, or a file tar took for an archive of nothing: no image to run anything in
                    throw new IllegalArgumentException("source: " + source + " holds no files; an image is a root"
                            + " filesystem (a directory or a tarball of one)");
                }
            }
            for (String dir : MOUNT_POINTS) {
                Path mountPoint = rootfs.resolve(dir);
                String mustBe = "; an image's " + String.join(", ", MOUNT_POINTS.stream().map(d -> "/" + d).toList())
                        + " must be directories or absent";
                if (Files.isSymbolicLink(mountPoint)) {
                    // why refused: a runtime mounts over it, and what is made in it here would follow the link out of the image
                    throw new IllegalArgumentException("source: " + source + " has /" + dir + " as a symbolic link (to "
                            + Files.readSymbolicLink(mountPoint) + ")" + mustBe);
                }
                if (!Files.exists(mountPoint, java.nio.file.LinkOption.NOFOLLOW_LINKS)) {
                    Files.createDirectories(mountPoint);
                } else if (!Files.isDirectory(mountPoint, java.nio.file.LinkOption.NOFOLLOW_LINKS)) {
                    // why refused: a runtime mounts a directory over it, which would fail every job in the image
                    throw new IllegalArgumentException("source: " + source + " has /" + dir + " that is not a directory"
                            + mustBe);
                }
            }
            for (String file : MOUNT_FILES) {
                mountFile(rootfs.resolve(file), source);
            }
            var metadata = new ImageMetadata(name, source, Instant.now(), sizeOf(rootfs), recipe);
            Files.writeString(scratch.resolve("image.json"), Json.write(metadata));
            // why: after a power loss the rename may be on disk before what it names, an image that looks whole and is not
            HostCommand.run(List.of("sync", "-f", scratch.toString()), 600);
            String version = ImageUses.version(metadata.name(), metadata.createdAt());
            Files.createDirectories(root.resolve(VERSIONS));
            Files.move(scratch, root.resolve(VERSIONS).resolve(version), StandardCopyOption.ATOMIC_MOVE);
            link(name, version);
        } catch (IOException | RuntimeException e) { // (made, the scratch directory is the version: nothing is left)
            deleteScratch(scratch, e);
            throw e;
        }
    }

    /** Deletes what a make that failed left; a failure to is added to the make's own, which it must not hide. */
    private static void deleteScratch(Path scratch, Exception failed) {
        try {
            if (Files.exists(scratch)) {
                deleteTree(scratch);
            }
        } catch (IOException e) {
            failed.addSuppressed(e);
        }
    }

    /**
     * A file a runtime binds the host's over: it must be a plain file, which it is made if absent. A
     * link (/etc/resolv.conf to systemd-resolved's, say) would be followed by the bind, to a path the
     * read-only image lacks, and fail every job with a network; it is replaced, as the host's file
     * covers it anyway.
     */
    private static void mountFile(Path target, String source) throws IOException {
        if (Files.isSymbolicLink(target)) {
            Files.delete(target);
        } else if (Files.exists(target, java.nio.file.LinkOption.NOFOLLOW_LINKS)
                && !Files.isRegularFile(target, java.nio.file.LinkOption.NOFOLLOW_LINKS)) {
            throw new IllegalArgumentException("source: " + source + " has /" + target.getParent().getFileName() + "/"
                    + target.getFileName() + " that is not a file; the host's is bound there for jobs with a network");
        }
        if (!Files.exists(target, java.nio.file.LinkOption.NOFOLLOW_LINKS)) {
            Files.createFile(target);
        }
    }

    /** An image whose record cannot be read: made by a process that lost power before its record reached the disk. */
    private static final class DamagedImageException extends IOException {
        DamagedImageException(String message, Throwable cause) {
            super(message, cause);
        }
    }

    /** The image a name gives: the version it links to, or an older store's directory under the name. */
    private static Image read(Path entry) throws IOException {
        ImageMetadata metadata = metadata(entry);
        return new Image(metadata.name(), versionOf(entry).resolve("rootfs"), metadata.source(), metadata.createdAt(),
                metadata.sizeBytes());
    }

    private static ImageMetadata metadata(Path entry) throws IOException {
        String json = Files.readString(versionOf(entry).resolve("image.json"));
        try {
            // leniently: a field another version of Hangar records (a recipe, say) is no damage
            return Json.readStored(json, ImageMetadata.class);
        } catch (RuntimeException e) {
            throw new DamagedImageException("image " + entry.getFileName() + " is damaged, its image.json unreadable ("
                    + e.getMessage() + "): remove it (hangar image rm " + entry.getFileName() + ") and make it again", e);
        }
    }

    /** The directory a name gives: the version it links to, or an older store's directory under the name. */
    private static Path versionOf(Path entry) throws IOException {
        return Files.isSymbolicLink(entry) ? entry.resolveSibling(Files.readSymbolicLink(entry)).normalize() : entry;
    }

    private static String checkedName(String name) {
        if (name == null || !NAME.matcher(name).matches()) {
            throw new IllegalArgumentException("name: '" + name + "' is not an image name (lower-case letters, digits, "
                    + "'.', '_', '-'; at most 64; starting with a letter or digit)");
        }
        return name;
    }

    private static long sizeOf(Path dir) throws IOException {
        try (Stream<Path> paths = Files.walk(dir)) {
            return paths.filter(p -> Files.isRegularFile(p, java.nio.file.LinkOption.NOFOLLOW_LINKS))
                    .mapToLong(p -> p.toFile().length()).sum();
        }
    }

    static void deleteTree(Path dir) throws IOException {
        // why: rootfs trees hold read-only directories and odd modes; rm copes with all of them
        HostCommand.run(List.of("rm", "-rf", "--one-file-system", dir.toString()), 600);
    }

}
