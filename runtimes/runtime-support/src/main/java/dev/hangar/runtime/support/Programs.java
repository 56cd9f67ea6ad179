package dev.hangar.runtime.support;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Optional;

/** Finds host programs a driver runs. */
public final class Programs {
    private Programs() {}

    /** The program on PATH, or in /usr/bin, /usr/local/bin, /usr/sbin (PATH may be minimal under services). */
    public static Optional<Path> find(String program) {
        String path = Optional.ofNullable(System.getenv("PATH")).orElse("");
        for (String dir : (path + ":/usr/bin:/usr/local/bin:/usr/sbin:/bin").split(":")) {
            Path candidate = dir.isEmpty() ? null : Path.of(dir, program);
            if (candidate != null && Files.isExecutable(candidate)) {
                return Optional.of(candidate);
            }
        }
        return Optional.empty();
    }
}
