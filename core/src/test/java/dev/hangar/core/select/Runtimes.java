package dev.hangar.core.select;

import dev.hangar.core.job.JobSpec;
import dev.hangar.core.job.Needs;
import dev.hangar.core.job.Trust;
import dev.hangar.core.job.WorkloadProfile;
import dev.hangar.core.runtime.BootClass;
import dev.hangar.core.runtime.Isolation;
import dev.hangar.core.runtime.NetworkMode;
import dev.hangar.core.runtime.RuntimeCapabilities;
import dev.hangar.core.runtime.RuntimeProbe;
import dev.hangar.core.runtime.RuntimeStatus;
import dev.hangar.core.runtime.Threading;
import java.time.Duration;
import java.util.Map;
import java.util.Set;

/** Runtime records as nodes report them, with the capabilities of the real drivers, for selection tests. */
final class Runtimes {
    private Runtimes() {}

    static RuntimeStatus runtime(String name, Isolation isolation, long startMs, boolean fork, boolean gpu, long floorMb) {
        return runtime(name, isolation, startMs, fork, gpu, floorMb, Threading.NATIVE);
    }

    static RuntimeStatus runtime(String name, Isolation isolation, long startMs, boolean fork, boolean gpu, long floorMb,
            Threading threading) {
        var caps = new RuntimeCapabilities(isolation, BootClass.FAST, floorMb, threading, fork, fork, gpu, false,
                false, false, false, Set.of(NetworkMode.NONE, NetworkMode.HOST));
        return new RuntimeStatus(name, name, caps, RuntimeProbe.available(Duration.ofMillis(startMs), Map.of()));
    }

    static RuntimeStatus withoutNetwork(RuntimeStatus runtime) {
        var c = runtime.capabilities();
        var caps = new RuntimeCapabilities(c.isolation(), c.bootClass(), c.memoryFloorMb(), c.threading(), c.fork(),
                c.fullSyscalls(), c.gpu(), c.snapshot(), c.virtioFs(), c.discard(), c.freePageReporting(),
                Set.of(NetworkMode.NONE));
        return new RuntimeStatus(runtime.name(), runtime.description(), caps, runtime.probe());
    }

    static final RuntimeStatus PROCESS = runtime("process", Isolation.NAMESPACE, 4, true, false, 0);
    static final RuntimeStatus PODMAN = runtime("podman", Isolation.NAMESPACE, 300, true, true, 0);
    static final RuntimeStatus GVISOR = runtime("gvisor", Isolation.SOFTWARE_KERNEL, 130, true, false, 0);
    static final RuntimeStatus FIRECRACKER = runtime("firecracker", Isolation.HARDWARE, 150, true, false, 128);
    static final RuntimeStatus OSV = runtime("osv", Isolation.HARDWARE, 10, false, false, 32);
    static final RuntimeStatus UNIKRAFT = runtime("unikraft", Isolation.HARDWARE, 8, false, false, 16, Threading.LIMITED);

    static JobSpec untrusted() {
        return JobSpec.builder().command("true").untrusted().build();
    }

    static JobSpec withNeeds(Needs needs) {
        return JobSpec.builder().command("true").profile(new WorkloadProfile(Trust.TRUSTED, needs, null, null)).build();
    }

    static JobSpec withProfile(Trust trust, Integer latencyBudgetMs, Integer threads) {
        return JobSpec.builder().command("true").profile(new WorkloadProfile(trust, null, latencyBudgetMs, threads)).build();
    }
}
