package dev.hangar.runtime.gvisor;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.channels.FileChannel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class GvisorBundleTest {
    @TempDir
    Path dir;

    @Test
    void aBundleWhoseConfigHoldsTheJobsEnvIsTheOwnersAlone() throws Exception {
        Path bundle = dir.resolve("bundle");
        try (FileChannel lock = GvisorSandbox.lockBundle(bundle)) {
            assertThat(PosixFilePermissions.toString(Files.getPosixFilePermissions(bundle))).isEqualTo("rwx------");
        }
    }
}
