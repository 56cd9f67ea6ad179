package dev.hangar.runtime.podman;

import dev.hangar.core.image.Image;
import dev.hangar.core.image.ImageStore;
import java.io.IOException;
import java.io.InputStream;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Hangar's images in Podman's store: {@code localhost/hangar-NAME:CREATED}, CREATED being when
 * Hangar made the image (epoch milliseconds), so an image re-made under the same name is imported
 * again. Imported from the image's root filesystem with tar, streamed to the API. Older tags of
 * the same image are removed when no container uses them; should another node on this host still
 * want one, its create fails, it calls {@link #forget} and imports it again.
 */
final class PodmanImages {
    private static final Logger LOG = LoggerFactory.getLogger(PodmanImages.class);
    private static final int ERROR_TAIL = 2_000;

    private final ImageStore store;
    private final Libpod api;
    private final Set<String> present = ConcurrentHashMap.newKeySet();
    private final ConcurrentHashMap<String, Object> locks = new ConcurrentHashMap<>();

    PodmanImages(ImageStore store, Libpod api) {
        this.store = store;
        this.api = api;
    }

    static String repository(String name) {
        return "localhost/hangar-" + name;
    }

    static String reference(Image image) {
        return repository(image.name()) + ":" + image.createdAt().toEpochMilli();
    }

    /** The Podman reference of the Hangar image of this name, importing it first if Podman lacks it. */
    String ensure(String name) throws IOException {
        return ensure(store.resolve(name));
    }

    /** The Podman reference of this Hangar image, importing it first if Podman lacks it. */
    String ensure(Image image) throws IOException {
        String name = image.name();
        String reference = reference(image);
        if (present.contains(reference)) {
            return reference;
        }
        synchronized (locks.computeIfAbsent(name, n -> new Object())) {
            if (!present.contains(reference) && !api.imageExists(reference)) {
                long begin = System.nanoTime();
                importRootfs(image.rootfs(), reference);
                LOG.info("imported image {} into podman as {} in {} ms", name, reference,
                        (System.nanoTime() - begin) / 1_000_000);
                removeOlderTags(image.name(), reference);
            }
            present.add(reference);
        }
        return reference;
    }

    /** Podman lost an image this driver imported (someone removed it): import it again next time. */
    void forget(String reference) {
        present.remove(reference);
    }

    private void importRootfs(Path rootfs, String reference) throws IOException {
        // why a file: tar warns once per file it skips (a socket, say); unread, a pipe of warnings
        // fills at 64 KiB and tar, and the import with it, would wait forever
        Path errors = Files.createTempFile("hangar-tar-", ".err");
        try {
            importRootfs(rootfs, reference, errors);
        } finally {
            Files.deleteIfExists(errors);
        }
    }

    private void importRootfs(Path rootfs, String reference, Path errors) throws IOException {
        Process tar = new ProcessBuilder("tar", "-C", rootfs.toString(), "--numeric-owner", "-cf", "-", ".")
                .redirectError(errors.toFile())
                .start();
        try {
            api.importImage(reference, out -> {
                try (InputStream in = tar.getInputStream()) {
                    in.transferTo(out);
                }
            });
            int code = tar.waitFor();
            if (code != 0) {
                String err = tail(errors);
                api.removeImage(reference);
                throw new IOException("tar of " + rootfs + " exited " + code + ": " + err);
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IOException("interrupted while importing " + reference, e);
        } finally {
            tar.destroyForcibly();
        }
    }

    /** The last lines tar wrote, enough to say why it failed. */
    private static String tail(Path errors) throws IOException {
        try (FileChannel file = FileChannel.open(errors)) {
            long skip = Math.max(0, file.size() - ERROR_TAIL);
            ByteBuffer last = ByteBuffer.allocate((int) (file.size() - skip));
            file.read(last, skip);
            String text = new String(last.array(), 0, last.position(), StandardCharsets.UTF_8).strip();
            return skip > 0 ? "..." + text : text;
        }
    }

    private void removeOlderTags(String name, String keep) {
        try {
            List<String> tags = api.imageTags(repository(name));
            for (String tag : tags) {
                if (made(tag) > 0 && made(tag) < made(keep) && api.removeImage(tag)) {
                    LOG.info("removed {} from podman: image {} was made again", tag, name);
                }
            }
        } catch (IOException e) {
            LOG.debug("could not list older tags of {}: {}", name, e.getMessage());
        }
    }

    /** When the image of a reference was made, from its tag; 0 for tags this driver did not write. */
    private static long made(String reference) {
        try {
            return Long.parseLong(reference.substring(reference.lastIndexOf(':') + 1));
        } catch (NumberFormatException e) {
            return 0;
        }
    }
}
