package dev.hangar.runtime.podman;

import dev.hangar.core.image.ImageStore;
import dev.hangar.core.runtime.RuntimeContext;
import dev.hangar.core.runtime.SandboxRuntime;
import dev.hangar.images.LocalImageStore;
import dev.hangar.runtime.testkit.RuntimeContractTest;
import java.nio.file.Path;
import org.junit.jupiter.api.io.TempDir;

/** The runtime contract, run against Podman and runc on this host; skipped where the probe fails. */
class PodmanRuntimeContractTest extends RuntimeContractTest {
    // why static: the suite probes in @BeforeAll, before an instance @TempDir is injected
    @TempDir
    static Path dataDir;

    @Override
    protected SandboxRuntime runtime() {
        return new PodmanRuntime(new RuntimeContext(dataDir, new LocalImageStore(dataDir.resolve("images"))));
    }

    @Override
    protected ImageStore images() {
        return new LocalImageStore(dataDir.resolve("images"));
    }

    @Override
    protected String image() {
        return "busybox";
    }
}
