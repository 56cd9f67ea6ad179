package dev.hangar.images;

import java.io.IOException;
import java.nio.file.Path;
import java.util.Optional;

/** An image Hangar can make on this host by itself, without a registry. */
interface BuiltinImage {
    String name();

    /** Fills {@code rootfs} (an empty directory). */
    void build(Path rootfs) throws IOException;

    /**
     * The version of what {@link #build} makes, raised when that changes: a store's image made by an
     * older recipe is made again on its next use, as an upgraded node would otherwise keep it for good.
     */
    default int recipe() {
        return 1;
    }

    /** What this host lacks to make it, naming the package to install; empty if it has what {@link #build} needs. */
    default Optional<String> lacking() {
        return Optional.empty();
    }

    /** Whether this host has what {@link #build} needs: a node offers only the built-ins it can make. */
    default boolean buildable() {
        return lacking().isEmpty();
    }
}
