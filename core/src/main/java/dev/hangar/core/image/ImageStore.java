package dev.hangar.core.image;

import java.io.IOException;
import java.nio.file.Path;
import java.util.List;
import java.util.Set;

/**
 * The images of this node, without a registry: imported from a directory or tarball, or built in
 * ({@code busybox}, {@code debian}). Built-in images are made on first use and then kept.
 */
public interface ImageStore {
    /** The image, built first if it is a built-in not made yet. */
    Image resolve(String name) throws IOException;

    /**
     * Whether {@link #resolve} of the name would make the image first: a built-in not made yet (about a minute
     * for debian). False for a name the store does not know.
     */
    default boolean madeOnFirstUse(String name) {
        return false;
    }

    /** Names a job may use: stored images and built-ins. */
    Set<String> names();

    List<Image> list();

    Image importRootfs(String name, Path directoryOrTar) throws IOException;

    /** The directory the images are kept in on this host, every image's root filesystem below it. */
    Path root();

    /**
     * The image, built first if need be, held for a sandbox until the hold is closed: should the
     * image be removed meanwhile, its files stay until every sandbox on this host holding it has let go.
     */
    ImageHold hold(String name) throws IOException;

    /**
     * Removes a stored image at once (its name is free again); false if there was none. Its files
     * are deleted when no sandbox on this host holds it, so a job running in it keeps them.
     */
    boolean remove(String name) throws IOException;

    /** The image a container job gets when it names none. */
    String DEFAULT_IMAGE = "busybox";
}
