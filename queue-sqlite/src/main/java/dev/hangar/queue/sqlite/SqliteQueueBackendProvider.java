package dev.hangar.queue.sqlite;

import dev.hangar.core.queue.QueueBackend;
import dev.hangar.core.queue.QueueBackendProvider;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.URI;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Clock;
import java.util.Set;

/** Opens {@code sqlite:/path/to/hangar.db} (or a relative {@code sqlite:hangar.db}), creating its directory. */
public final class SqliteQueueBackendProvider implements QueueBackendProvider {
    private static final String SCHEME = "sqlite";

    @Override
    public Set<String> schemes() {
        return Set.of(SCHEME);
    }

    @Override
    public QueueBackend open(URI location, Clock clock) {
        if (!SCHEME.equalsIgnoreCase(location.getScheme())) {
            throw new IllegalArgumentException("not a sqlite location: " + location);
        }
        // sqlite:/abs/path and sqlite:///abs/path have a path; sqlite:relative/path is opaque
        String path = location.isOpaque() ? location.getSchemeSpecificPart() : location.getPath();
        if (path == null || path.isBlank() || path.endsWith("/")) {
            throw new IllegalArgumentException("a sqlite location needs a file, e.g. sqlite:/var/lib/hangar/hangar.db; got "
                    + location);
        }
        Path file = Path.of(path).toAbsolutePath();
        try {
            Files.createDirectories(file.getParent());
        } catch (IOException e) {
            throw new UncheckedIOException("cannot create the directory of " + file, e);
        }
        return SqliteQueueBackend.open(file, clock);
    }
}
