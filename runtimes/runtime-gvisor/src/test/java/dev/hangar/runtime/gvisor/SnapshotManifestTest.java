package dev.hangar.runtime.gvisor;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The image version a snapshot's manifest holds it to, and a manifest of an older Hangar without one. */
class SnapshotManifestTest {
    @TempDir
    Path dir;

    @Test
    void aManifestWithoutTheImageRootIsReadAndHoldsToNoVersion() throws Exception {
        Files.writeString(dir.resolve(SnapshotManifest.FILE), """
                {"snapshotId":"s","templateId":"t","kernel":"k","image":"busybox","network":"NONE","mounts":[],
                 "pids":100,"diskMb":10,"sha256":"00","imageBytes":1,"takenAt":"2026-01-01T00:00:00Z"}
                """);

        SnapshotManifest older = SnapshotManifest.read(dir);

        assertThat(older.imageRoot()).isNull();
        assertThat(older.imageMismatch(Path.of("/store/.images/busybox@2/rootfs"))).isEmpty();
    }

    @Test
    void aManifestWithTheImageRootRefusesAnotherVersionNamingTheImage() throws Exception {
        Files.writeString(dir.resolve(SnapshotManifest.FILE), """
                {"snapshotId":"s","templateId":"t","kernel":"k","image":"busybox",
                 "imageRoot":"/store/.images/busybox@1/rootfs","network":"NONE","mounts":[],
                 "pids":100,"diskMb":10,"sha256":"00","imageBytes":1,"takenAt":"2026-01-01T00:00:00Z"}
                """);

        SnapshotManifest manifest = SnapshotManifest.read(dir);

        assertThat(manifest.imageMismatch(Path.of("/store/.images/busybox@1/rootfs"))).isEmpty();
        assertThat(manifest.imageMismatch(Path.of("/store/.images/busybox@2/rootfs"))).hasValueSatisfying(why ->
                assertThat(why).startsWith("image: busybox was made again since the snapshot was taken"));
    }
}
