package dev.hangar.core.queue;

import java.net.URI;
import java.time.Clock;
import java.util.Set;

/**
 * Opens a backend for a location such as {@code sqlite:/var/lib/hangar/hangar.db}; listed in
 * {@code META-INF/services/dev.hangar.core.queue.QueueBackendProvider}.
 */
public interface QueueBackendProvider {
    /** The URI schemes this provider opens. */
    Set<String> schemes();

    QueueBackend open(URI location, Clock clock);
}
