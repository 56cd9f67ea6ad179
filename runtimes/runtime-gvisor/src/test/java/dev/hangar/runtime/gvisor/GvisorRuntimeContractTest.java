package dev.hangar.runtime.gvisor;

import dev.hangar.core.image.ImageStore;
import dev.hangar.core.runtime.RuntimeContext;
import dev.hangar.core.runtime.Sandbox;
import dev.hangar.core.runtime.SandboxRuntime;
import dev.hangar.images.LocalImageStore;
import dev.hangar.runtime.testkit.RuntimeContractTest;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.io.TempDir;

/** The runtime contract, run against gVisor on this host in the built-in busybox image; skipped where the probe fails. */
class GvisorRuntimeContractTest extends RuntimeContractTest {
    // why: static, because the suite probes in @BeforeAll, before an instance @TempDir is injected
    @TempDir
    static Path dataDir;

    @Override
    protected SandboxRuntime runtime() {
        return new GvisorRuntime(new RuntimeContext(dataDir, new LocalImageStore(dataDir.resolve("images"))));
    }

    @Override
    protected ImageStore images() {
        return new LocalImageStore(dataDir.resolve("images"));
    }

    @Override
    protected String image() {
        return "busybox";
    }

    /** The launcher runs inside the sandbox kernel: on the host it is runsc, its gofer and sentry, named by the runsc id. */
    @Override
    protected List<String> launcherHostProcesses(Sandbox sandbox) {
        return hostProcessesWith(((GvisorSandbox) sandbox).runscId());
    }
}
