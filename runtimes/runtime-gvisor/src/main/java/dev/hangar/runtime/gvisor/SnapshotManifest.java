package dev.hangar.runtime.gvisor;

import dev.hangar.core.image.ImageStore;
import dev.hangar.core.json.Json;
import dev.hangar.core.runtime.Mount;
import dev.hangar.core.runtime.NetworkMode;
import dev.hangar.core.runtime.SandboxSpec;
import java.io.IOException;
import java.io.InputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.time.Instant;
import java.util.HexFormat;
import java.util.List;
import java.util.Optional;

/**
 * What a gVisor snapshot was taken of, kept beside its checkpoint image ({@code manifest.json}):
 * the parts of the template's spec a restored sandbox cannot change, the gVisor that saved it, and
 * the image's checksum.
 *
 * <p>Why these parts: the saved kernel holds the template's mount table, its tmpfs sizes and its
 * process's {@code RLIMIT_NPROC}, and restores them as they were; a restore into a different
 * image, network, mounts, pids or disk would silently run under the template's. Memory and CPU
 * are the host cgroups' around the restored sandbox, so they may differ.
 */
record SnapshotManifest(String snapshotId, String templateId, String kernel, String image, String imageRoot,
        NetworkMode network, List<Mount> mounts, int pids, long diskMb, String sha256, long imageBytes, Instant takenAt) {
    static final String FILE = "manifest.json";
    /** The one file runsc 2022-12 writes into an image directory. */
    static final String CHECKPOINT = "checkpoint.img";

    SnapshotManifest {
        // why: a manifest edited or cut short by hand is refused as it is read, not met as a null later
        java.util.Objects.requireNonNull(snapshotId, "snapshotId is missing");
        java.util.Objects.requireNonNull(kernel, "kernel is missing");
        java.util.Objects.requireNonNull(sha256, "sha256 is missing");
        java.util.Objects.requireNonNull(network, "network is missing");
        mounts = List.copyOf(java.util.Objects.requireNonNull(mounts, "mounts is missing"));
    }

    /**
     * @param kernel    the runsc version and platform that saved it (see {@code GvisorRuntime.kernel()})
     * @param imageRoot the root of the image's version the template ran on, which is another once the
     *                  image is made again under its name
     */
    static SnapshotManifest of(String snapshotId, SandboxSpec template, String kernel, Path imageRoot, Path checkpoint)
            throws IOException {
        return new SnapshotManifest(snapshotId, template.id(), kernel, imageOf(template), imageRoot.toString(),
                template.network(),
                template.mounts(), template.resources().pids(), template.resources().diskMb(), sha256(checkpoint),
                Files.size(checkpoint), Instant.now());
    }

    private static String imageOf(SandboxSpec spec) {
        return spec.image() == null ? ImageStore.DEFAULT_IMAGE : spec.image();
    }

    /**
     * Why a sandbox on this image root cannot be restored from this snapshot: the image made again
     * since, whose files the saved kernel's open files and caches no longer match. Empty if it can,
     * or if the snapshot, of an older Hangar, did not record its root.
     */
    Optional<String> imageMismatch(Path root) {
        if (imageRoot == null || imageRoot.equals(root.toString())) {
            return Optional.empty();
        }
        return Optional.of("image: " + image + " was made again since the snapshot was taken (its root was "
                + imageRoot + ", it is " + root + " now)");
    }

    /** Why {@code spec} cannot be restored from this snapshot, naming the field; empty if it can. */
    Optional<String> mismatch(SandboxSpec spec) {
        if (!imageOf(spec).equals(image)) {
            return Optional.of("image: " + imageOf(spec) + " differs from the snapshot's " + image);
        }
        if (spec.network() != network) {
            return Optional.of("network: " + spec.network() + " differs from the snapshot's " + network);
        }
        if (!spec.mounts().equals(mounts)) {
            return Optional.of("mounts: " + spec.mounts() + " differ from the snapshot's " + mounts
                    + " (the saved kernel restores the template's mount table)");
        }
        if (spec.resources().pids() != pids) {
            return Optional.of("resources.pids: " + spec.resources().pids() + " differs from the snapshot's " + pids
                    + " (the saved process keeps the template's RLIMIT_NPROC)");
        }
        if (spec.resources().diskMb() != diskMb) {
            return Optional.of("resources.diskMb: " + spec.resources().diskMb() + " differs from the snapshot's "
                    + diskMb + " (the saved /work and /tmp keep the template's size)");
        }
        if (!spec.gpus().isEmpty()) {
            return Optional.of("gpus: a gvisor sandbox cannot be given GPUs");
        }
        return Optional.empty();
    }

    void write(Path dir) throws IOException {
        Files.write(dir.resolve(FILE), Json.mapper().writeValueAsBytes(this));
    }

    static SnapshotManifest read(Path dir) throws IOException {
        return Json.mapper().readValue(Files.readAllBytes(dir.resolve(FILE)), SnapshotManifest.class);
    }

    static String sha256(Path file) throws IOException {
        try (InputStream in = Files.newInputStream(file)) {
            MessageDigest digest = MessageDigest.getInstance("SHA-256");
            byte[] buffer = new byte[64 * 1024];
            for (int n; (n = in.read(buffer)) > 0; ) {
                digest.update(buffer, 0, n);
            }
            return HexFormat.of().formatHex(digest.digest());
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException("every JDK has SHA-256", e);
        }
    }
}
