package dev.hangar.runtime.support;

import java.io.IOException;
import java.nio.file.DirectoryStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.HashMap;
import java.util.Map;

/**
 * Temp files of one kind named after the process that makes them ({@code <kind>-<owner label>-<n><suffix>},
 * whatever their suffix), so that those a node killed before it could delete them are removed by the
 * next one to start, as its cgroups are (see {@link OwningProcess#gone}).
 */
public final class OwnedTempFiles {
    private static final System.Logger LOG = System.getLogger(OwnedTempFiles.class.getName());

    private final Path dir;
    private final String kind;
    private final OwningProcess self;

    OwnedTempFiles(Path dir, String kind, OwningProcess self) {
        this.dir = dir;
        this.kind = kind + "-";
        this.self = self;
    }

    /** Files of {@code kind} in the system's temp directory, made by this process. */
    public static OwnedTempFiles of(String kind) {
        return new OwnedTempFiles(Path.of(System.getProperty("java.io.tmpdir")), kind, OwningProcess.current());
    }

    /**
     * Files of {@code kind} in {@code dir}, made by this process; the directory is made for this user
     * alone if it is not there (no other local user can then put a name in a file's way).
     */
    public static OwnedTempFiles in(Path dir, String kind) throws IOException {
        Files.createDirectories(dir, java.nio.file.attribute.PosixFilePermissions.asFileAttribute(
                java.nio.file.attribute.PosixFilePermissions.fromString("rwx------")));
        return new OwnedTempFiles(dir, kind, OwningProcess.current());
    }

    /** A new, empty file, named after this process, readable by its user only; {@code suffix} holds no '-'. */
    public Path create(String suffix) throws IOException {
        return Files.createTempFile(dir, kind + self.label() + "-", suffix);
    }

    /** Deletes a file, if it is there; one left behind is swept at the next start. */
    public static void delete(Path file) {
        if (file == null) {
            return;
        }
        try {
            Files.deleteIfExists(file);
        } catch (IOException ignored) {
            // a temp file left behind: nothing worse
        }
    }

    /**
     * Deletes the files of this kind whose owner is gone; returns how many. A file of an older
     * version, which names no owner, is left alone.
     */
    public int sweep() {
        return sweep(file -> { });
    }

    /** As {@link #sweep()}, handing each file to {@code reading} before it is deleted (one that names what to undo). */
    public int sweep(java.util.function.Consumer<Path> reading) {
        int removed = 0;
        Map<String, Boolean> gone = new HashMap<>();
        try (DirectoryStream<Path> files = Files.newDirectoryStream(dir, kind + "*")) {
            for (Path file : files) {
                String owned = file.getFileName().toString().substring(kind.length());
                int end = owned.lastIndexOf('-'); // the owner's label has none; the random part and suffix follow it
                if (end > 0 && gone.computeIfAbsent(owned.substring(0, end), OwnedTempFiles::surelyGone)) {
                    reading.accept(file);
                    if (Files.deleteIfExists(file)) {
                        removed++;
                    }
                }
            }
        } catch (IOException | RuntimeException e) {
            LOG.log(System.Logger.Level.WARNING, "could not sweep the " + kind + "* files that gone nodes left in " + dir
                    + ": " + e.getMessage());
        }
        return removed;
    }

    /** Only a label of this version: one of an older version's form is never taken for a file's owner. */
    private static boolean surelyGone(String label) {
        return OwningProcess.parse(label).isPresent() && OwningProcess.gone(label);
    }
}
