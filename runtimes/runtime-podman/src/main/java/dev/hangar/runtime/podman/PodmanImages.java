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
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Hangar's images in Podman's store: {@code localhost/hangar-NAME:STORE.CREATED}, STORE naming the
 * node's image store (its directory's hash: several nodes on one host share Podman's store, each
 * with images of its own) and CREATED when Hangar made the image (epoch milliseconds), so an image
 * re-made under the same name is imported again. Imported from the image's root filesystem with tar,
 * streamed to the API, labelled with the store's directory ({@link #STORE_LABEL}). Tags no node
 * wants are removed when no container uses them: this store's older ones at an import, and those of a
 * store whose directory is gone (a node's removed, a test's) at an import of their name and as a node
 * starts. Should the node still want one, its create fails,
 * it calls {@link #forget} and imports it again.
 */
final class PodmanImages {
    private static final Logger LOG = LoggerFactory.getLogger(PodmanImages.class);
    private static final int ERROR_TAIL = 2_000;
    /** The label of an imported image that names the directory of the image store it came from. */
    static final String STORE_LABEL = "dev.hangar.store";

    private final ImageStore store;
    /** The store's directory, as its images' label names it. */
    private final String storeRoot;
    /** The tags' STORE part of this node's images. */
    private final String storeKey;
    private final Libpod api;
    private final Set<String> present = ConcurrentHashMap.newKeySet();
    private final ConcurrentHashMap<String, Object> locks = new ConcurrentHashMap<>();

    PodmanImages(ImageStore store, Libpod api) {
        this.store = store;
        this.storeRoot = store.root().toAbsolutePath().normalize().toString();
        this.storeKey = storeKey(storeRoot);
        this.api = api;
    }

    /** What every repository of Hangar's images in Podman begins with. */
    static final String REPOSITORIES = "localhost/hangar-";
    /** A path component of an image reference, as Podman (the OCI distribution spec) reads one. */
    private static final java.util.regex.Pattern COMPONENT = java.util.regex.Pattern.compile(
            "[a-z0-9]+(?:(?:[._]|__|-+)[a-z0-9]+)*");

    /**
     * The Podman repository of the store's image {@code name}. Why not always the name itself: the store takes names
     * a reference does not ({@code tools-}, {@code a..b}), and Podman refused their import as an invalid reference,
     * a fault of the runtime that benched it for every job; such a name goes under its hash ({@code hangar--HEX},
     * which no store name gives, as none begins with '-').
     */
    static String repository(String name) {
        String plain = "hangar-" + name;
        return "localhost/" + (COMPONENT.matcher(plain).matches() ? plain : "hangar--" + sha256(name).substring(0, 32));
    }

    /** The Podman reference of an image of the store at {@code storeRoot}. */
    static String reference(Path storeRoot, Image image) {
        return reference(storeKey(storeRoot.toAbsolutePath().normalize().toString()), image);
    }

    String reference(Image image) {
        return reference(storeKey, image);
    }

    private static String reference(String storeKey, Image image) {
        return repository(image.name()) + ":" + storeKey + "." + image.createdAt().toEpochMilli();
    }

    /** Eight hex digits of the SHA-256 of the store's directory. */
    private static String storeKey(String storeRoot) {
        return sha256(storeRoot).substring(0, 8);
    }

    private static String sha256(String text) {
        try {
            byte[] hash = java.security.MessageDigest.getInstance("SHA-256").digest(text.getBytes(StandardCharsets.UTF_8));
            return java.util.HexFormat.of().formatHex(hash);
        } catch (java.security.NoSuchAlgorithmException e) {
            throw new IllegalStateException("every JDK has SHA-256", e);
        }
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
            api.importImage(reference, Map.of(STORE_LABEL, storeRoot), out -> {
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
            for (Libpod.Tagged tagged : api.imageTags(repository(name), STORE_LABEL)) {
                String tag = tagged.reference();
                if (tag.equals(keep)) {
                    continue;
                }
                // why this store's alone: another node's on this host are its own, made at other times
                if (olderOfThisStore(tag, keep) && api.removeImage(tag)) {
                    LOG.info("removed {} from podman: image {} was made again", tag, name);
                } else {
                    removeIfItsStoreIsGone(tagged);
                }
            }
        } catch (IOException e) {
            LOG.debug("could not list older tags of {}: {}", name, e.getMessage());
        }
    }

    /**
     * Removes the tags of every name whose image store is gone, as the node starts: a name no node imports
     * again (an image of a removed node's own) would otherwise keep its tags, and their layers, for good.
     * Housekeeping: what fails is logged, and the tags after it are still looked at.
     */
    void removeTagsOfGoneStores() {
        List<Libpod.Tagged> tags;
        try {
            tags = api.labelledImageTags(STORE_LABEL);
        } catch (IOException | RuntimeException e) {
            LOG.debug("could not list the images of image stores: {}", e.getMessage());
            return;
        }
        for (Libpod.Tagged tagged : tags) {
            if (!tagged.reference().startsWith(REPOSITORIES)) {
                continue; // not one of Hangar's, whatever its label says
            }
            try {
                removeIfItsStoreIsGone(tagged);
            } catch (IOException | RuntimeException e) {
                LOG.debug("could not remove {} from podman: {}", tagged.reference(), e.getMessage());
            }
        }
    }

    private void removeIfItsStoreIsGone(Libpod.Tagged tagged) throws IOException {
        String tag = tagged.reference();
        if (!ofThisStore(tag) && storeGone(tagged.label()) && api.removeImage(tag)) {
            LOG.info("removed {} from podman: its image store {} is gone", tag, tagged.label());
        }
    }

    /**
     * Whether the image store a label names is gone: only a path that is certainly not there as this process sees
     * it (a directory that cannot be read may still be some node's). A store this process cannot see (in another
     * mount namespace, on a disk not mounted yet) is taken for gone too: its node then imports its image again at
     * its next use, as for a tag removed behind its back.
     */
    private static boolean storeGone(String label) {
        if (label == null) {
            return false;
        }
        try {
            Path path = Path.of(label);
            return path.isAbsolute() && Files.notExists(path);
        } catch (java.nio.file.InvalidPathException e) {
            return false;
        }
    }

    /** A tag of this store older than {@code keep}; a tag of a Hangar before tags named their store, not newer. */
    private boolean olderOfThisStore(String tag, String keep) {
        long made = made(tag);
        return ofThisStore(tag) && made > 0 && (made < made(keep) || legacy(tag) && made == made(keep));
    }

    /** When the image of a reference was made, from its tag; 0 for tags this driver did not write. */
    private static long made(String reference) {
        String tag = tag(reference);
        try {
            return Long.parseLong(tag.substring(tag.lastIndexOf('.') + 1));
        } catch (NumberFormatException e) {
            return 0;
        }
    }

    /** Whether a tag is of this node's store, or of a Hangar before tags named their store. */
    private boolean ofThisStore(String reference) {
        return tag(reference).startsWith(storeKey + ".") || legacy(reference);
    }

    /** A tag of a Hangar before tags named their store: CREATED alone. */
    private static boolean legacy(String reference) {
        return tag(reference).indexOf('.') < 0;
    }

    private static String tag(String reference) {
        return reference.substring(reference.lastIndexOf(':') + 1);
    }
}
