package dev.hangar.core.select;

import static org.assertj.core.api.Assertions.assertThat;

import dev.hangar.core.job.JobSpec;
import dev.hangar.core.job.Needs;
import dev.hangar.core.job.Resources;
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
import java.util.List;
import java.util.Map;
import java.util.Set;
import org.junit.jupiter.api.Test;

class RuntimeSelectorTest {
    private final RuntimeSelector selector = RuntimeSelector.standard();
    private final NodePolicy node = new NodePolicy(true, 2);

    private static RuntimeStatus runtime(String name, Isolation isolation, long startMs, boolean fork, boolean gpu,
            long floorMb) {
        var caps = new RuntimeCapabilities(isolation, BootClass.FAST, floorMb, Threading.NATIVE, fork, fork, gpu, false,
                false, false, false, Set.of(NetworkMode.NONE, NetworkMode.HOST));
        return new RuntimeStatus(name, name, caps, RuntimeProbe.available(Duration.ofMillis(startMs), Map.of()));
    }

    private static final RuntimeStatus PROCESS = runtime("process", Isolation.NAMESPACE, 4, true, false, 0);
    private static final RuntimeStatus PODMAN = runtime("podman", Isolation.NAMESPACE, 300, true, true, 0);
    private static final RuntimeStatus GVISOR = runtime("gvisor", Isolation.SOFTWARE_KERNEL, 130, true, false, 0);
    private static final RuntimeStatus FIRECRACKER = runtime("firecracker", Isolation.HARDWARE, 150, true, false, 128);
    private static final RuntimeStatus OSV = runtime("osv", Isolation.HARDWARE, 10, false, false, 32);

    private static JobSpec untrusted() {
        return JobSpec.builder().command("true").untrusted().build();
    }

    private static JobSpec withNeeds(Needs needs) {
        return JobSpec.builder().command("true").profile(new WorkloadProfile(Trust.TRUSTED, needs, null, null)).build();
    }

    @Test
    void trustedJobTakesTheFastestMeasuredStart() {
        Selection s = selector.select(JobSpec.of("true"), List.of(PODMAN, GVISOR, PROCESS), node);
        assertThat(s.runtime()).isEqualTo("process");
        assertThat(s.reason()).contains("fastest start").contains("4 ms");
        assertThat(s.rejected()).extracting(Rejection::rule).containsOnly("ranking");
    }

    @Test
    void untrustedJobIsRefusedWhenOnlyNamespaceIsolationExists() {
        Selection s = selector.select(untrusted(), List.of(PROCESS, PODMAN), node);
        assertThat(s.refused()).isTrue();
        assertThat(s.reason()).startsWith("refused").contains("untrusted");
        assertThat(s.rejected()).extracting(Rejection::runtime, Rejection::rule).containsExactly(
                org.assertj.core.groups.Tuple.tuple("process", "untrusted-needs-kernel-boundary"),
                org.assertj.core.groups.Tuple.tuple("podman", "untrusted-needs-kernel-boundary"));
    }

    @Test
    void untrustedJobGoesToGvisorWhenNoVmExists() {
        assertThat(selector.select(untrusted(), List.of(PROCESS, GVISOR), node).runtime()).isEqualTo("gvisor");
    }

    @Test
    void untrustedJobPrefersHardwareIsolationOverAFasterSoftwareKernel() {
        var slowVm = runtime("qemu", Isolation.HARDWARE, 2000, true, false, 64);
        Selection s = selector.select(untrusted(), List.of(GVISOR, slowVm), node);
        assertThat(s.runtime()).isEqualTo("qemu");
        assertThat(s.reason()).contains("strongest isolation");
    }

    @Test
    void gpuJobsGoOnlyToRuntimesThatPassDevicesThrough() {
        var spec = JobSpec.builder().command("nvidia-smi").resources(new Resources(null, null, null, null, 1, null)).build();
        Selection s = selector.select(spec, List.of(PROCESS, PODMAN), node);
        assertThat(s.runtime()).isEqualTo("podman");
        assertThat(s.rejected()).anySatisfy(r -> {
            assertThat(r.runtime()).isEqualTo("process");
            assertThat(r.rule()).isEqualTo("gpu-needs-passthrough");
        });
    }

    @Test
    void gpuJobIsRefusedOnANodeWithoutGpus() {
        var spec = JobSpec.builder().command("x").resources(new Resources(null, null, null, null, 1, null)).build();
        Selection s = selector.select(spec, List.of(PODMAN), new NodePolicy(true, 0));
        assertThat(s.refused()).isTrue();
        assertThat(s.reason()).contains("0 GPU(s)");
    }

    @Test
    void forkingJobsNeverGoToUnikernels() {
        Selection s = selector.select(JobSpec.of("make"), List.of(OSV, FIRECRACKER), node);
        assertThat(s.runtime()).isEqualTo("firecracker");
        assertThat(s.rejected()).anySatisfy(r -> assertThat(r.rule()).isEqualTo("fork-needs-fork"));
    }

    @Test
    void jobsThatNeedNeitherForkNorFullSyscallsMayUseAUnikernel() {
        var spec = withNeeds(new Needs(false, false, false, false)).toBuilder()
                .resources(new Resources(null, 64L, null, null, null, null)).build();
        assertThat(selector.select(spec, List.of(OSV, FIRECRACKER), node).runtime()).isEqualTo("osv");
    }

    @Test
    void fullSyscallJobsNeverGoToLibraryOses() {
        var spec = withNeeds(new Needs(false, false, true, false));
        Selection s = selector.select(spec, List.of(OSV), node);
        assertThat(s.refused()).isTrue();
        assertThat(s.rejected()).extracting(Rejection::rule).containsExactly("full-syscalls-need-linux");
    }

    @Test
    void networkIsRefusedWhereTheNodeDoesNotAllowIt() {
        var spec = withNeeds(new Needs(false, true, true, true));
        Selection s = selector.select(spec, List.of(PROCESS), NodePolicy.closed());
        assertThat(s.refused()).isTrue();
        assertThat(s.rejected()).extracting(Rejection::rule).containsExactly("network-needs-permission");
        assertThat(selector.select(spec, List.of(PROCESS), node).runtime()).isEqualTo("process");
    }

    @Test
    void memoryBelowTheRuntimeFloorIsRuledOut() {
        var spec = JobSpec.builder().command("x").untrusted().resources(new Resources(null, 64L, null, null, null, null)).build();
        Selection s = selector.select(spec, List.of(FIRECRACKER), node);
        assertThat(s.refused()).isTrue();
        assertThat(s.rejected()).extracting(Rejection::rule).containsExactly("memory-above-floor");
    }

    @Test
    void unavailableRuntimesAreRuledOutWithTheProbeReason() {
        var broken = new RuntimeStatus("gvisor", "gVisor", GVISOR.capabilities(), RuntimeProbe.unavailable("runsc not found"));
        Selection s = selector.select(untrusted(), List.of(broken), node);
        assertThat(s.refused()).isTrue();
        assertThat(s.reason()).contains("runsc not found");
        assertThat(s.rejected()).extracting(Rejection::rule).containsExactly("runtime-available");
    }

    @Test
    void aPinnedRuntimeIsUsedWhenItPassesEveryRule() {
        var spec = JobSpec.builder().command("x").runtime("podman").build();
        Selection s = selector.select(spec, List.of(PROCESS, PODMAN), node);
        assertThat(s.runtime()).isEqualTo("podman");
        assertThat(s.reason()).startsWith("pinned");
        assertThat(s.rejected()).extracting(Rejection::runtime, Rejection::rule)
                .containsExactly(org.assertj.core.groups.Tuple.tuple("process", "pinned"));
    }

    @Test
    void aPinnedRuntimeThatBreaksARuleIsRefusedNamingTheRule() {
        var spec = JobSpec.builder().command("x").runtime("process").untrusted().build();
        Selection s = selector.select(spec, List.of(PROCESS, GVISOR), node);
        assertThat(s.refused()).isTrue();
        assertThat(s.reason()).contains("pinned runtime breaks a rule").contains("untrusted-needs-kernel-boundary");
    }

    @Test
    void aPinnedRuntimeMissingFromTheNodeIsRefused() {
        var spec = JobSpec.builder().command("x").runtime("kata").build();
        Selection s = selector.select(spec, List.of(PROCESS), node);
        assertThat(s.refused()).isTrue();
        assertThat(s.reason()).contains("'kata' is not on this node");
    }
}
