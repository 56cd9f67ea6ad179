package dev.hangar.runtime.process;

import static org.junit.jupiter.api.Assumptions.assumeTrue;

import dev.hangar.core.runtime.RuntimeContext;
import dev.hangar.images.LocalImageStore;
import java.nio.file.Path;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.io.TempDir;

/** A test of the process runtime, skipped, saying why, where this host cannot run it. */
abstract class ProcessRuntimeTest {
    @TempDir
    Path dataDir;
    BubblewrapRuntime runtime;

    @BeforeEach
    void startRuntime() throws java.io.IOException {
        // why: under root, bwrap starts as the sandbox's user, who must pass through to the files a test gives it
        java.nio.file.Files.setPosixFilePermissions(dataDir,
                java.nio.file.attribute.PosixFilePermissions.fromString("rwxr-xr-x"));
        runtime = new BubblewrapRuntime(new RuntimeContext(dataDir, new LocalImageStore(dataDir.resolve("images"))));
        var probe = runtime.probe();
        assumeTrue(probe.available(), () -> "process runtime unavailable: " + probe.reason());
    }
}
