package dev.hangar.runtime.podman;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;

/**
 * The processes the driver's Podman service starts and does not wait for: each container's and exec
 * session's conmon, and the {@code podman container cleanup} it runs when the container or session
 * ends. They outlive the service by a moment and write to the driver's events log, so a runtime
 * that is closed waits for them. Found by the {@code CONTAINERS_CONF} they inherit from the service.
 */
final class PodmanHelpers {
    private static final Path PROC = Path.of("/proc");

    private final String variable;

    PodmanHelpers(Path conf) {
        this.variable = "CONTAINERS_CONF=" + conf;
    }

    /** The pids of the helpers alive now; zombies have no environment and are not counted. */
    List<Long> alive() {
        List<Long> found = new ArrayList<>();
        try (var dirs = Files.newDirectoryStream(PROC, p -> p.getFileName().toString().matches("[0-9]+"))) {
            for (Path dir : dirs) {
                if (carriesConf(dir)) {
                    found.add(Long.parseLong(dir.getFileName().toString()));
                }
            }
        } catch (IOException e) {
            // no /proc to look in: nothing known to wait for
        }
        return found;
    }

    /** Waits until no helper is alive or {@code bound} has passed; returns those still alive. */
    List<Long> awaitGone(Duration bound) {
        long deadline = System.nanoTime() + bound.toNanos();
        List<Long> left = alive();
        while (!left.isEmpty() && System.nanoTime() < deadline) {
            try {
                Thread.sleep(20);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                return left;
            }
            left = alive();
        }
        return left;
    }

    private boolean carriesConf(Path procDir) {
        try {
            String environ = new String(Files.readAllBytes(procDir.resolve("environ")), StandardCharsets.UTF_8);
            return Arrays.asList(environ.split("\0")).contains(variable);
        } catch (IOException | SecurityException e) {
            return false; // ended while we looked, or not ours to read
        }
    }
}
