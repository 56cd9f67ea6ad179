package dev.hangar.queue.sqlite;

import dev.hangar.core.queue.QueueBackend;
import dev.hangar.core.queue.QueueBackendProvider;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.URI;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Clock;
import java.time.Duration;
import java.util.Set;

/**
 * Opens {@code sqlite:/path/to/hangar.db} (or a relative {@code sqlite:hangar.db}), creating its
 * directory; {@code ?retention=P7D} says how long final jobs and their output are kept, which the store
 * keeps for the next open that gives none (7 days for a new store).
 */
public final class SqliteQueueBackendProvider implements QueueBackendProvider {
    private static final String SCHEME = "sqlite";
    private static final Duration MOST_RETENTION = Duration.ofDays(3650);

    @Override
    public Set<String> schemes() {
        return Set.of(SCHEME);
    }

    @Override
    public QueueBackend open(URI location, Clock clock) {
        if (!SCHEME.equalsIgnoreCase(location.getScheme())) {
            throw new IllegalArgumentException("not a sqlite location: " + location);
        }
        // sqlite:/abs/path and sqlite:///abs/path have a path; sqlite:relative/path is opaque (its query in its part)
        String path = location.isOpaque() ? location.getSchemeSpecificPart().replaceFirst("\\?.*", "")
                : location.getPath();
        String query = location.isOpaque() ? (location.getSchemeSpecificPart().contains("?")
                ? location.getSchemeSpecificPart().replaceFirst("^[^?]*\\?", "") : null) : location.getQuery();
        Duration retention = retention(query, location);
        if (path == null || path.isBlank() || path.endsWith("/")) {
            throw new IllegalArgumentException("a sqlite location needs a file, e.g. sqlite:/var/lib/hangar/hangar.db; got "
                    + location);
        }
        if (location.getRawFragment() != null) {
            // why refuse: the file name would end at the '#' and another file be opened, without a word
            throw new IllegalArgumentException("a sqlite location has no fragment: write a '#' in the file name as %23,"
                    + " got " + location);
        }
        if (location.getRawAuthority() != null && !location.getRawAuthority().isEmpty()) {
            // why refuse: sqlite://data/hangar.db reads as host "data" and file /hangar.db
            throw new IllegalArgumentException("a sqlite location has no host: write sqlite:/absolute/path.db or"
                    + " sqlite:relative/path.db, got " + location);
        }
        Path file = Path.of(path).toAbsolutePath();
        try {
            Files.createDirectories(file.getParent());
        } catch (IOException e) {
            throw new UncheckedIOException("cannot create the directory of " + file, e);
        }
        return SqliteQueueBackend.open(file, clock, retention);
    }

    /**
     * The {@code retention} parameter (ISO-8601, P0D to P3650D; P0D keeps final jobs for ever), the only one taken;
     * null if not given: the store's own then.
     */
    private static Duration retention(String query, URI location) {
        Duration retention = null;
        if (query == null || query.isEmpty()) {
            return retention;
        }
        boolean given = false;
        for (String param : query.split("&")) {
            String[] nameValue = param.split("=", 2);
            if (!nameValue[0].equals("retention") || nameValue.length < 2) {
                throw new IllegalArgumentException("a sqlite location takes one parameter, retention=P7D (how long final jobs"
                        + " are kept); got '" + param + "' in " + location);
            }
            if (given) {
                throw new IllegalArgumentException("retention is given twice in " + location);
            }
            given = true;
            retention = retention(nameValue[1], "retention:");
        }
        return retention;
    }

    /**
     * A retention as a user wrote it, ISO-8601 from P0D (keep for ever) to P3650D; refused with a
     * message that begins with {@code named}, the parameter or option that gave it.
     */
    public static Duration retention(String text, String named) {
        Duration retention;
        try {
            retention = Duration.parse(text);
        } catch (java.time.format.DateTimeParseException e) {
            throw new IllegalArgumentException(named + " must be an ISO-8601 duration such as P7D or PT12H, got '" + text + "'");
        }
        if (retention.isNegative() || retention.compareTo(MOST_RETENTION) > 0) {
            throw new IllegalArgumentException(named + " must be from P0D (for ever) to P3650D, got " + text);
        }
        return retention;
    }
}
