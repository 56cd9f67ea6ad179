package dev.hangar.cli;

import dev.hangar.runtime.support.HostUser;
import dev.hangar.runtime.support.OwningProcess;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.Path;
import java.util.Comparator;
import java.util.regex.Pattern;
import java.util.stream.Stream;

/**
 * The temporary data directories of nodes started for one command (a run, an explain, a benchmark without a server).
 * Each is deleted as its command ends; one whose command was killed (SIGKILL, the OOM killer) stays, with a job's
 * environment and standard input in its store. So each holds the name of the process that made it, and one whose
 * process is gone is deleted by the next such command of the same user.
 */
final class ThrowawayDirs {
    /** What Files.createTempDirectory names them (short: a node's Podman socket lies below, in 108 bytes). */
    private static final Pattern NAMED = Pattern.compile("hangar-(run|explain|bench)-\\d+");
    /** The file in each naming its process ({@link OwningProcess#label()}). */
    static final String OWNER = "owner";

    private ThrowawayDirs() {}

    /** A new directory for a node of this command ({@code name}), after the leftovers of gone ones are deleted. */
    static Path make(String name) throws IOException {
        Path tmp = Path.of(System.getProperty("java.io.tmpdir"));
        deleteLeftovers(tmp);
        Path dir = Files.createTempDirectory(tmp, "hangar-" + name + "-");
        Files.writeString(dir.resolve(OWNER), OwningProcess.current().label(), StandardCharsets.US_ASCII);
        return dir;
    }

    /**
     * The directories under {@code tmp} whose command's process is gone, deleted. Only this user's own, each a real
     * directory (not a link) in the shared temp directory: what another user made there could lead a delete
     * elsewhere, and what this user made (mode 0700) no other user can change.
     */
    static void deleteLeftovers(Path tmp) {
        Integer me = HostUser.uid();
        try (Stream<Path> entries = Files.list(tmp)) {
            entries.filter(entry -> NAMED.matcher(entry.getFileName().toString()).matches())
                    .filter(entry -> Files.isDirectory(entry, LinkOption.NOFOLLOW_LINKS))
                    .filter(entry -> me >= 0 && me.equals(ownerOf(entry)))
                    .filter(ThrowawayDirs::ownerGone)
                    .forEach(ThrowawayDirs::deleteQuietly);
        } catch (IOException e) {
            // the temp directory cannot be listed: nothing to sweep, and the command makes its own below
        }
    }

    private static boolean ownerGone(Path dir) {
        try {
            // none written yet (one being made), or of an older version: left alone
            Path owner = dir.resolve(OWNER);
            return Files.isRegularFile(owner, LinkOption.NOFOLLOW_LINKS)
                    && OwningProcess.gone(Files.readString(owner, StandardCharsets.US_ASCII).strip());
        } catch (IOException | RuntimeException e) {
            return false;
        }
    }

    private static Object ownerOf(Path path) {
        try {
            return Files.getAttribute(path, "unix:uid", LinkOption.NOFOLLOW_LINKS);
        } catch (IOException | RuntimeException e) {
            return null;
        }
    }

    static void delete(Path root) throws IOException {
        try (Stream<Path> paths = Files.walk(root)) {
            paths.sorted(Comparator.reverseOrder()).forEach(path -> path.toFile().delete());
        }
    }

    private static void deleteQuietly(Path root) {
        try {
            delete(root);
        } catch (IOException | RuntimeException e) {
            System.getLogger(ThrowawayDirs.class.getName()).log(System.Logger.Level.DEBUG,
                    "could not delete " + root + ": " + e.getMessage());
        }
    }
}
