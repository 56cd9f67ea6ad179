package dev.hangar.runtime.kata;

import dev.hangar.core.image.ImageStore;
import dev.hangar.core.runtime.RuntimeContext;
import dev.hangar.core.runtime.SandboxRuntime;
import dev.hangar.images.LocalImageStore;
import dev.hangar.runtime.testkit.RuntimeContractTest;
import java.nio.file.Path;
import java.time.Duration;
import org.junit.jupiter.api.io.TempDir;

/** The runtime contract against Kata; on hosts without Kata every test is skipped with the probe's reason. */
class KataRuntimeContractTest extends RuntimeContractTest {
    @TempDir
    static Path dataDir;

    @Override
    protected SandboxRuntime runtime() {
        return new KataRuntime(new RuntimeContext(dataDir, new LocalImageStore(dataDir.resolve("images"))));
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
