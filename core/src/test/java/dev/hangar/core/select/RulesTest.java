package dev.hangar.core.select;

import static dev.hangar.core.select.Runtimes.FIRECRACKER;
import static dev.hangar.core.select.Runtimes.GVISOR;
import static dev.hangar.core.select.Runtimes.OSV;
import static dev.hangar.core.select.Runtimes.PODMAN;
import static dev.hangar.core.select.Runtimes.PROCESS;
import static dev.hangar.core.select.Runtimes.UNIKRAFT;
import static dev.hangar.core.select.Runtimes.untrusted;
import static dev.hangar.core.select.Runtimes.withNeeds;
import static dev.hangar.core.select.Runtimes.withProfile;
import static org.assertj.core.api.Assertions.assertThat;

import dev.hangar.core.job.JobSpec;
import dev.hangar.core.job.Needs;
import dev.hangar.core.job.Resources;
import dev.hangar.core.job.Trust;
import dev.hangar.core.job.WorkloadProfile;
import dev.hangar.core.runtime.NetworkMode;
import dev.hangar.core.runtime.RuntimeProbe;
import dev.hangar.core.runtime.RuntimeStatus;
import java.util.List;
import java.util.Optional;
import org.junit.jupiter.api.Test;

/** Each selection rule on its own: a runtime it lets through and one it rules out, with the reason. */
class RulesTest {
    private static final NodePolicy OPEN = new NodePolicy(true, 2);

    private static Optional<String> check(SelectionRule rule, JobSpec job, RuntimeStatus runtime) {
        return rule.violation(job, runtime, OPEN);
    }

    private static JobSpec gpuJob(int gpus) {
        return JobSpec.builder().command("nvidia-smi").resources(new Resources(null, null, null, null, gpus, null)).build();
    }

    @Test
    void everyRuleHasAUniqueName() {
        List<String> names = Rules.all().stream().map(SelectionRule::name).toList();
        assertThat(names).doesNotHaveDuplicates().contains("runtime-available", "untrusted-needs-kernel-boundary",
                "gpu-needs-passthrough", "fork-needs-fork", "full-syscalls-need-linux", "network-needs-permission",
                "memory-above-floor", "threads-need-parallel-cores");
    }

    @Test
    void aRefusalNamesTheFieldItsRuleWeighs() {
        var expected = java.util.Map.of("runtime-available", "runtime", "untrusted-needs-kernel-boundary", "profile.trust",
                "gpu-needs-passthrough", "resources.gpus", "fork-needs-fork", "profile.needs.fork",
                "full-syscalls-need-linux", "profile.needs.fullSyscalls", "network-needs-permission",
                "profile.needs.network", "memory-above-floor", "resources.memoryMb", "threads-need-parallel-cores",
                "profile.threads");
        for (SelectionRule rule : Rules.all()) { // every rule, so that a renamed one cannot fall back to runtime unseen
            Selection refused = new Selection(null, "refused", List.of(new Rejection("process", rule.name(), "no"),
                    new Rejection("podman", RuntimeSelector.PINNED, "the job pins another")));
            assertThat(Rules.fieldOf(gpuJob(1), refused)).as(rule.name()).isEqualTo(expected.get(rule.name()));
        }
        Selection twoRules = new Selection(null, "refused", List.of(new Rejection("process", "fork-needs-fork", "no"),
                new Rejection("gvisor", "memory-above-floor", "no")));
        assertThat(Rules.fieldOf(JobSpec.of("true"), twoRules)).as("runtimes refused for different reasons").isEqualTo("runtime");
        Selection untrustedWhereNoBoundaryRuns = new Selection(null, "refused", List.of(
                new Rejection("process", "untrusted-needs-kernel-boundary", "no"),
                new Rejection("gvisor", "runtime-available", "runsc not found"),
                new Rejection("kata", "runtime-available", "no KVM")));
        assertThat(Rules.fieldOf(JobSpec.of("true"), untrustedWhereNoBoundaryRuns)).as("runtimes that do not run here left out")
                .isEqualTo("profile.trust");
        Selection noPassthrough = new Selection(null, "refused", List.of(new Rejection("gvisor", "gpu-needs-passthrough", "no")));
        assertThat(Rules.fieldOf(withNeeds(new Needs(true, null, null, null)), noPassthrough)).as("a GPU asked for by the profile alone")
                .isEqualTo("profile.needs.gpu");
    }

    @Test
    void runtimeAvailableAcceptsARuntimeWhoseTrialRan() {
        assertThat(check(new Rules.Available(), JobSpec.of("true"), PROCESS)).isEmpty();
    }

    @Test
    void runtimeAvailableRejectsARuntimeWhoseProbeFailedWithTheProbesReason() {
        var broken = new RuntimeStatus("gvisor", "gVisor", GVISOR.capabilities(), RuntimeProbe.unavailable("runsc not found"));
        assertThat(check(new Rules.Available(), JobSpec.of("true"), broken)).hasValueSatisfying(
                reason -> assertThat(reason).contains("runsc not found"));
    }

    @Test
    void untrustedCodeIsAcceptedBehindASoftwareKernelOrAVm() {
        var rule = new Rules.UntrustedNeedsKernelBoundary();
        assertThat(check(rule, untrusted(), GVISOR)).isEmpty();
        assertThat(check(rule, untrusted(), FIRECRACKER)).isEmpty();
        assertThat(check(rule, JobSpec.of("true"), PROCESS)).as("trusted code on namespaces").isEmpty();
    }

    @Test
    void untrustedCodeIsRejectedOnNamespaceIsolation() {
        var rule = new Rules.UntrustedNeedsKernelBoundary();
        assertThat(check(rule, untrusted(), PROCESS)).hasValueSatisfying(
                reason -> assertThat(reason).contains("untrusted code").contains("namespace isolation"));
        assertThat(check(rule, untrusted(), PODMAN)).isPresent();
    }

    @Test
    void gpuJobsAreAcceptedWhereDevicesPassThroughAndTheNodeHasEnough() {
        var rule = new Rules.GpuNeedsPassthrough();
        assertThat(check(rule, gpuJob(2), PODMAN)).isEmpty();
        assertThat(check(rule, JobSpec.of("true"), PROCESS)).as("no GPU needed").isEmpty();
    }

    @Test
    void gpuJobsAreRejectedWithoutPassthroughOrWithoutEnoughGpus() {
        var rule = new Rules.GpuNeedsPassthrough();
        assertThat(check(rule, gpuJob(1), PROCESS)).hasValueSatisfying(
                reason -> assertThat(reason).contains("cannot pass GPUs through"));
        assertThat(check(rule, gpuJob(3), PODMAN)).hasValueSatisfying(
                reason -> assertThat(reason).contains("2 GPU(s); the job needs 3"));
        assertThat(rule.violation(withNeeds(new Needs(true, null, null, null)), PODMAN, NodePolicy.closed()))
                .hasValueSatisfying(reason -> assertThat(reason).contains("0 GPU(s); the job needs 1"));
    }

    @Test
    void forkingJobsAreAcceptedWhereForkExistsAndJobsWithoutForkAnywhere() {
        var rule = new Rules.ForkNeedsFork();
        assertThat(check(rule, JobSpec.of("make"), FIRECRACKER)).isEmpty();
        assertThat(check(rule, withNeeds(new Needs(false, false, false, false)), OSV)).isEmpty();
    }

    @Test
    void forkingJobsAreRejectedOnUnikernels() {
        assertThat(check(new Rules.ForkNeedsFork(), JobSpec.of("make"), OSV)).hasValueSatisfying(
                reason -> assertThat(reason).contains("no fork()").contains("profile.needs.fork"));
    }

    @Test
    void fullSyscallJobsAreAcceptedOnLinuxKernels() {
        assertThat(check(new Rules.FullSyscallsNeedFullKernel(), withNeeds(new Needs(false, false, true, false)), GVISOR))
                .isEmpty();
    }

    @Test
    void fullSyscallJobsAreRejectedOnLibraryOses() {
        assertThat(check(new Rules.FullSyscallsNeedFullKernel(), withNeeds(new Needs(false, false, true, false)), OSV))
                .hasValueSatisfying(reason -> assertThat(reason).contains("profile.needs.fullSyscalls"));
    }

    @Test
    void networkIsAcceptedWhenAskedAllowedAndSupported() {
        var rule = new Rules.NetworkNeedsPermission();
        assertThat(check(rule, withNeeds(new Needs(false, true, true, true)), PROCESS)).isEmpty();
        assertThat(rule.violation(JobSpec.of("true"), PROCESS, NodePolicy.closed())).as("no network asked").isEmpty();
    }

    @Test
    void networkIsRejectedWhereTheNodeForbidsItOrTheRuntimeCannotGiveOne() {
        var rule = new Rules.NetworkNeedsPermission();
        var spec = withNeeds(new Needs(false, true, true, true));
        assertThat(rule.violation(spec, PROCESS, NodePolicy.closed())).hasValueSatisfying(
                reason -> assertThat(reason).contains("--allow-network"));
        assertThat(check(rule, spec, Runtimes.withoutNetwork(PROCESS))).hasValueSatisfying(
                reason -> assertThat(reason).contains("cannot give its sandboxes a network"));
    }

    @Test
    void untrustedCodeIsNotGivenTheHostsNetwork() {
        var rule = new Rules.NetworkNeedsPermission();
        var spec = untrusted();
        var untrustedWithNetwork = JobSpec.builder().command("x")
                .profile(new WorkloadProfile(Trust.UNTRUSTED, new Needs(false, true, true, true), null, null)).build();
        assertThat(check(rule, spec, GVISOR)).as("no network asked").isEmpty();
        assertThat(check(rule, untrustedWithNetwork, GVISOR)).hasValueSatisfying(
                reason -> assertThat(reason).contains("only the host's network"));
        var caps = GVISOR.capabilities();
        assertThat(NetworkMode.of(untrustedWithNetwork.profile(), caps)).isEqualTo(NetworkMode.BRIDGE);
        assertThat(NetworkMode.of(withNeeds(new Needs(false, true, true, true)).profile(), caps)).isEqualTo(NetworkMode.HOST);
        assertThat(NetworkMode.of(spec.profile(), caps)).isEqualTo(NetworkMode.NONE);
    }

    @Test
    void memoryAtOrAboveTheFloorIsAccepted() {
        var spec = JobSpec.builder().command("x").resources(new Resources(null, 128L, null, null, null, null)).build();
        assertThat(check(new Rules.MemoryAboveFloor(), spec, FIRECRACKER)).isEmpty();
    }

    @Test
    void memoryBelowTheFloorIsRejected() {
        var spec = JobSpec.builder().command("x").resources(new Resources(null, 64L, null, null, null, null)).build();
        assertThat(check(new Rules.MemoryAboveFloor(), spec, FIRECRACKER)).hasValueSatisfying(
                reason -> assertThat(reason).isEqualTo("needs at least 128 MiB; the job asks for 64 MiB"));
    }

    @Test
    void threadedJobsAreAcceptedOnNativeThreadsAndSingleThreadedJobsAnywhere() {
        var rule = new Rules.ThreadsNeedParallelCores();
        assertThat(check(rule, withProfile(Trust.TRUSTED, null, 8), OSV)).isEmpty();
        assertThat(check(rule, withProfile(Trust.TRUSTED, null, 1), UNIKRAFT)).isEmpty();
        assertThat(check(rule, JobSpec.of("true"), UNIKRAFT)).as("threads not said").isEmpty();
    }

    @Test
    void threadedJobsAreRejectedWhereOneThreadRunsAtATime() {
        assertThat(check(new Rules.ThreadsNeedParallelCores(), withProfile(Trust.TRUSTED, null, 4), UNIKRAFT))
                .hasValueSatisfying(reason -> assertThat(reason).contains("the job runs 4 (profile.threads)"));
    }
}
