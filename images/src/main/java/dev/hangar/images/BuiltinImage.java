package dev.hangar.images;

import java.io.IOException;
import java.nio.file.Path;

/** An image Hangar can make on this host by itself, without a registry. */
interface BuiltinImage {
    String name();

    /** Fills {@code rootfs} (an empty directory). */
    void build(Path rootfs) throws IOException;

    /** Whether this host has what {@link #build} needs: a node offers only the built-ins it can make. */
    default boolean buildable() {
        return true;
    }
}
