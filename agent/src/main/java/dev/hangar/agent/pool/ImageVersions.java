package dev.hangar.agent.pool;

import java.time.Instant;
import java.util.Optional;

/**
 * When the node's image of a name was made: an image removed and imported again under its name is
 * another, and the sandboxes and snapshot template a pool made from the old one must not serve
 * jobs that name it now (their root may be gone from under them, or be the old files).
 */
@FunctionalInterface
public interface ImageVersions {
    /** Nothing is known of images: a pool keeps its sandboxes whatever happens to them. */
    ImageVersions NONE = image -> Optional.empty();

    /** When the image named {@code image} (null: the runtime's default) was made; empty if it is not there. */
    Optional<Instant> madeAt(String image);

    /**
     * Whether the image named {@code image} is one the node makes on its first use and has not made yet (a
     * built-in image): a job that names it waits for the making, about a minute for debian.
     */
    default boolean madeOnFirstUse(String image) {
        return false;
    }

    /** As {@link #madeAt}, or {@code unread} if that cannot be read now (an image's record unreadable). */
    default Optional<Instant> madeAtOr(String image, Optional<Instant> unread) {
        try {
            return madeAt(image);
        } catch (RuntimeException e) {
            return unread;
        }
    }
}
