package dev.hangar.agent;

import java.time.Duration;
import java.util.Set;
import java.util.function.LongSupplier;
import java.util.function.Supplier;

/**
 * The names of the images this node has, read again at most once per {@code fresh}: a lease
 * request names them on every pass of the agent's loop, and reading the image store lists a
 * directory. An image imported meanwhile is offered from the next read on.
 */
final class ImageNames implements Supplier<Set<String>> {
    private static final System.Logger LOG = System.getLogger(ImageNames.class.getName());
    private final Supplier<Set<String>> store;
    private final long freshNanos;
    private final LongSupplier nanoTime;
    private Set<String> names;
    private long readAt;

    ImageNames(Supplier<Set<String>> store, Duration fresh, LongSupplier nanoTime) {
        this.store = store;
        this.freshNanos = fresh.toNanos();
        this.nanoTime = nanoTime;
    }

    @Override
    public synchronized Set<String> get() {
        long now = nanoTime.getAsLong();
        if (names == null || now - readAt >= freshNanos) {
            try {
                names = Set.copyOf(store.get());
            } catch (RuntimeException e) {
                // why: an image removed while the store is listed fails the listing; the names last read stand
                // (none: then the lease says nothing of images, and the job's node checks its image)
                LOG.log(System.Logger.Level.DEBUG, "reading the image names failed; keeping the last ones", e);
                names = names == null ? Set.of() : names;
            }
            readAt = now;
        }
        return names;
    }
}
