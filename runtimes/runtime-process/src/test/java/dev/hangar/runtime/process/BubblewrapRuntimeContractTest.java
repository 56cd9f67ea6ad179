package dev.hangar.runtime.process;

import dev.hangar.core.image.ImageStore;
import dev.hangar.core.runtime.RuntimeContext;
import dev.hangar.images.LocalImageStore;
import dev.hangar.core.runtime.SandboxRuntime;
import dev.hangar.runtime.testkit.RuntimeContractTest;
import java.nio.file.Path;
import org.junit.jupiter.api.io.TempDir;

/** The runtime contract, run against bubblewrap on this host; skipped where the probe fails. */
class BubblewrapRuntimeContractTest extends RuntimeContractTest {
    @TempDir
    static Path dataDir;

    @Override
    protected SandboxRuntime runtime() {
        return new BubblewrapRuntime(new RuntimeContext(dataDir, new LocalImageStore(dataDir.resolve("images"))));
    }

    @Override
    protected ImageStore images() {
        return new LocalImageStore(dataDir.resolve("images"));
    }
}
