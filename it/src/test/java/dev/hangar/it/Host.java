package dev.hangar.it;

import static org.junit.jupiter.api.Assumptions.assumeTrue;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.ServerSocket;
import java.nio.charset.StandardCharsets;
import java.nio.file.DirectoryStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.UUID;

/** What the tests look at on the host itself: bwrap, processes in /proc, free ports. */
final class Host {
    private Host() {}

    /** Skips the calling test class, saying why, when bubblewrap is not installed. */
    static void assumeBubblewrap() {
        assumeTrue(bwrap().isPresent(), "bwrap is not on PATH: install the bubblewrap package to run the end-to-end tests");
    }

    static Optional<Path> bwrap() {
        String path = Optional.ofNullable(System.getenv("PATH")).orElse("") + ":/usr/bin:/usr/local/bin";
        for (String dir : path.split(":")) {
            if (!dir.isEmpty() && Files.isExecutable(Path.of(dir, "bwrap"))) {
                return Optional.of(Path.of(dir, "bwrap"));
            }
        }
        return Optional.empty();
    }

    /** A string no other process on the host has in its command line. */
    static String marker() {
        return "hangar-it-" + UUID.randomUUID().toString().replace("-", "").substring(0, 16);
    }

    /** How many processes the host has now (numeric directories of /proc). */
    static int processCount() {
        int count = 0;
        try (DirectoryStream<Path> entries = Files.newDirectoryStream(Path.of("/proc"))) {
            for (Path entry : entries) {
                if (entry.getFileName().toString().chars().allMatch(Character::isDigit)) {
                    count++;
                }
            }
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        return count;
    }

    /** Pids of the host processes whose command line contains {@code marker}. */
    static List<Long> processesWith(String marker) {
        var found = new ArrayList<Long>();
        long self = ProcessHandle.current().pid();
        try (DirectoryStream<Path> entries = Files.newDirectoryStream(Path.of("/proc"))) {
            for (Path entry : entries) {
                String name = entry.getFileName().toString();
                if (!name.chars().allMatch(Character::isDigit) || Long.parseLong(name) == self) {
                    continue;
                }
                try {
                    String cmdline = new String(Files.readAllBytes(entry.resolve("cmdline")), StandardCharsets.UTF_8);
                    if (cmdline.contains(marker)) {
                        found.add(Long.parseLong(name));
                    }
                } catch (IOException e) {
                    // the process ended while we looked
                }
            }
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        return found;
    }

    /** A TCP port nothing listens on right now. */
    static int freePort() {
        try (var socket = new ServerSocket(0)) {
            socket.setReuseAddress(true);
            return socket.getLocalPort();
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }
}
