package dev.hangar.cli;

import dev.hangar.runtime.support.OwningProcess;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Comparator;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Stream;

/**
 * The temporary data directories of nodes started for one command (a run, an explain, a benchmark without a server).
 * Each is deleted as its command ends; one whose command was killed (SIGKILL, the OOM killer) stays, with a job's
 * environment and standard input in its store. So each is named after the process that made it, and one whose
 * process is gone is deleted by the next such command.
 */
final class ThrowawayDirs {
    /** hangar-NAME-OWNER-RANDOM, OWNER an {@link OwningProcess#label()}. */
    private static final Pattern NAMED = Pattern.compile("hangar-(run|explain|bench)-(\\d+@\\d+@[0-9.]+)-\\d+");

    private ThrowawayDirs() {}

    /** A new directory for a node of this command ({@code name}), after the leftovers of gone ones are deleted. */
    static Path make(String name) throws IOException {
        Path tmp = Path.of(System.getProperty("java.io.tmpdir"));
        deleteLeftovers(tmp);
        return Files.createTempDirectory(tmp, "hangar-" + name + "-" + OwningProcess.current().label() + "-");
    }

    /** The directories under {@code tmp} whose command's process is gone, deleted; those of others are left. */
    static void deleteLeftovers(Path tmp) {
        try (Stream<Path> entries = Files.list(tmp)) {
            entries.filter(entry -> {
                Matcher named = NAMED.matcher(entry.getFileName().toString());
                return named.matches() && OwningProcess.gone(named.group(2));
            }).forEach(ThrowawayDirs::deleteQuietly);
        } catch (IOException e) {
            // the temp directory cannot be listed: nothing to sweep, and the command makes its own below
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
