package dev.hangar.core.select;

import static dev.hangar.core.select.Runtimes.FIRECRACKER;
import static dev.hangar.core.select.Runtimes.GVISOR;
import static dev.hangar.core.select.Runtimes.OSV;
import static dev.hangar.core.select.Runtimes.PODMAN;
import static dev.hangar.core.select.Runtimes.PROCESS;
import static dev.hangar.core.select.Runtimes.runtime;
import static dev.hangar.core.select.Runtimes.untrusted;
import static dev.hangar.core.select.Runtimes.withNeeds;
import static dev.hangar.core.select.Runtimes.withProfile;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.groups.Tuple.tuple;

import dev.hangar.core.job.JobSpec;
import dev.hangar.core.job.Needs;
import dev.hangar.core.job.Resources;
import dev.hangar.core.job.Trust;
import dev.hangar.core.json.Json;
import dev.hangar.core.runtime.Isolation;
import dev.hangar.core.runtime.RuntimeCapabilities;
import dev.hangar.core.runtime.RuntimeProbe;
import dev.hangar.core.runtime.RuntimeStatus;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

/** The whole decision: rules, latency budget, ranking, pins, and what the record says. */
class RuntimeSelectorTest {
    private final RuntimeSelector selector = RuntimeSelector.standard();
    private final NodePolicy node = new NodePolicy(true, 2);

    private static WarmPools warm(String runtime) {
        return new WarmPools(Map.of(runtime, 1));
    }

    private static JobSpec untrustedWithin(int budgetMs) {
        return withProfile(Trust.UNTRUSTED, budgetMs, null);
    }

    // ranking, criterion by criterion

    @Test
    void trustedJobTakesTheFastestMeasuredStart() {
        Selection s = selector.select(JobSpec.of("true"), List.of(PODMAN, GVISOR, PROCESS), node);
        assertThat(s.runtime()).isEqualTo("process");
        assertThat(s.reason()).isEqualTo("process: fastest measured start (next: gvisor 130 ms); measured start 4 ms");
        assertThat(s.rejected()).extracting(Rejection::runtime, Rejection::rule)
                .containsExactly(tuple("gvisor", "ranking"), tuple("podman", "ranking"));
        assertThat(s.rejected().get(0).reason()).isEqualTo(
                "allowed, but ranked below process: slower measured start (130 ms vs 4 ms)");
    }

    @Test
    void aWarmSandboxReadyBeatsAFasterColdStart() {
        Selection s = selector.select(JobSpec.of("true"), List.of(PROCESS, PODMAN), node, warm("podman"));
        assertThat(s.runtime()).isEqualTo("podman");
        assertThat(s.reason()).contains("the only one with a warm sandbox ready (process would boot cold)")
                .endsWith("measured start 300 ms; warm sandbox ready (1)");
        assertThat(s.rejected()).singleElement().satisfies(r -> {
            assertThat(r.rule()).isEqualTo("ranking");
            assertThat(r.reason()).contains("no warm sandbox ready; podman has one");
        });
    }

    @Test
    void amongWarmRuntimesTheFasterMeasuredStartWins() {
        var pools = new WarmPools(Map.of("podman", 3, "gvisor", 1));
        assertThat(selector.select(JobSpec.of("true"), List.of(PODMAN, GVISOR, PROCESS), node, pools).runtime())
                .isEqualTo("gvisor");
    }

    @Test
    void untrustedJobPrefersHardwareIsolationOverAFasterSoftwareKernel() {
        var slowVm = runtime("qemu", Isolation.HARDWARE, 2000, true, false, 64);
        Selection s = selector.select(untrusted(), List.of(GVISOR, slowVm), node);
        assertThat(s.runtime()).isEqualTo("qemu");
        assertThat(s.reason()).startsWith("qemu: strongest isolation allowed for untrusted code (hardware)");
        assertThat(s.rejected()).singleElement().satisfies(r -> assertThat(r.reason())
                .contains("weaker isolation (software-kernel) for untrusted code"));
    }

    @Test
    void forUntrustedCodeIsolationComesBeforeAWarmSandbox() {
        Selection s = selector.select(untrusted(), List.of(GVISOR, FIRECRACKER), node, warm("gvisor"));
        assertThat(s.runtime()).isEqualTo("firecracker");
    }

    @Test
    void atTheSameStartTheLightestIsolationWins() {
        var container = runtime("container", Isolation.NAMESPACE, 130, true, false, 0);
        Selection s = selector.select(JobSpec.of("true"), List.of(GVISOR, container), node);
        assertThat(s.runtime()).isEqualTo("container");
        assertThat(s.reason()).contains("lightest isolation");
        assertThat(s.rejected()).singleElement().satisfies(r -> assertThat(r.reason())
                .contains("heavier isolation (software-kernel) at the same start"));
    }

    @Test
    void withTheSameFiguresTheNameDecidesSoTheChoiceIsStable() {
        var a = runtime("alpha", Isolation.NAMESPACE, 10, true, false, 0);
        var b = runtime("beta", Isolation.NAMESPACE, 10, true, false, 0);
        assertThat(selector.select(JobSpec.of("true"), List.of(b, a), node).runtime()).isEqualTo("alpha");
        assertThat(selector.select(JobSpec.of("true"), List.of(a, b), node).reason()).contains("first by name");
    }

    @Test
    void anUnmeasuredStartRanksLast() {
        var unmeasured = new RuntimeStatus("fresh", "fresh", PROCESS.capabilities(),
                new RuntimeProbe(true, "trial sandbox ran", null, false, null, Map.of(), false));
        Selection s = selector.select(JobSpec.of("true"), List.of(unmeasured, PODMAN), node);
        assertThat(s.runtime()).isEqualTo("podman");
        assertThat(s.rejected()).singleElement().satisfies(r -> assertThat(r.reason()).contains("unmeasured"));
    }

    // latency budget

    @Test
    void aRuntimeWhoseStartExceedsTheBudgetIsRuledOutNamingTheBudget() {
        var spec = withProfile(Trust.TRUSTED, 200, null);
        Selection s = selector.select(spec, List.of(PODMAN, GVISOR), node);
        assertThat(s.runtime()).isEqualTo("gvisor");
        assertThat(s.reason()).endsWith("; within the latency budget of 200 ms");
        // it used to say "the only runtime that passes every rule", which podman passes too
        assertThat(s.reason()).startsWith("gvisor: the only runtime allowed that meets the latency budget; ");
        assertThat(s.rejected()).singleElement().satisfies(r -> {
            assertThat(r.runtime()).isEqualTo("podman");
            assertThat(r.rule()).isEqualTo("latency-budget");
            assertThat(r.reason()).isEqualTo(
                    "measured start 300 ms with no warm sandbox ready exceeds the latency budget of 200 ms");
        });
    }

    @Test
    void whenNoRuntimeMeetsTheBudgetTheFastestRunsAndTheDecisionSaysSo() {
        Selection s = selector.select(withProfile(Trust.TRUSTED, 1, null), List.of(PODMAN, GVISOR), node);
        assertThat(s.runtime()).isEqualTo("gvisor");
        assertThat(s.reason()).endsWith("; no runtime meets the latency budget of 1 ms, so the fastest start is taken");
        assertThat(s.rejected()).extracting(Rejection::rule).containsOnly("ranking");
    }

    @Test
    void aWarmSandboxMeetsTheBudgetAndBeatsAStrongerColdVm() {
        Selection s = selector.select(untrustedWithin(20), List.of(GVISOR, FIRECRACKER), node, warm("gvisor"));
        assertThat(s.runtime()).isEqualTo("gvisor");
        assertThat(s.reason()).isEqualTo("gvisor: strongest isolation allowed for untrusted code (software-kernel), "
                + "the only runtime allowed that meets the latency budget; measured start 130 ms; warm sandbox ready (1); "
                + "within the latency budget of 20 ms");
        assertThat(s.rejected()).extracting(Rejection::runtime, Rejection::rule)
                .containsExactly(tuple("firecracker", "latency-budget"));
    }

    // refusals and pins

    @Test
    void untrustedJobIsRefusedWhenOnlyNamespaceIsolationExists() {
        Selection s = selector.select(untrusted(), List.of(PROCESS, PODMAN), node);
        assertThat(s.refused()).isTrue();
        assertThat(s.reason()).startsWith("refused: no runtime on this node may run this job: process: untrusted code");
        assertThat(s.rejected()).extracting(Rejection::runtime, Rejection::rule).containsExactly(
                tuple("process", "untrusted-needs-kernel-boundary"), tuple("podman", "untrusted-needs-kernel-boundary"));
    }

    @Test
    void untrustedJobGoesToGvisorWhenNoVmExists() {
        assertThat(selector.select(untrusted(), List.of(PROCESS, GVISOR), node).runtime()).isEqualTo("gvisor");
    }

    @Test
    void gpuJobsGoOnlyToRuntimesThatPassDevicesThrough() {
        var spec = JobSpec.builder().command("nvidia-smi").resources(new Resources(null, null, null, null, 1, null)).build();
        Selection s = selector.select(spec, List.of(PROCESS, PODMAN), node);
        assertThat(s.runtime()).isEqualTo("podman");
        assertThat(s.rejected()).extracting(Rejection::runtime, Rejection::rule)
                .containsExactly(tuple("process", "gpu-needs-passthrough"));
    }

    @Test
    void jobsThatNeedNeitherForkNorFullSyscallsMayUseAUnikernel() {
        var spec = withNeeds(new Needs(false, false, false, false)).toBuilder()
                .resources(new Resources(null, 64L, null, null, null, null)).build();
        assertThat(selector.select(spec, List.of(OSV, FIRECRACKER), node).runtime()).isEqualTo("osv");
        assertThat(selector.select(JobSpec.of("make"), List.of(OSV, FIRECRACKER), node).runtime()).isEqualTo("firecracker");
    }

    @Test
    void aPinnedRuntimeIsUsedWhenItPassesEveryRule() {
        var spec = JobSpec.builder().command("x").runtime("podman").build();
        Selection s = selector.select(spec, List.of(PROCESS, PODMAN), node);
        assertThat(s.runtime()).isEqualTo("podman");
        assertThat(s.reason()).isEqualTo("podman: pinned by the submitter and passes every rule; measured start 300 ms");
        assertThat(s.rejected()).extracting(Rejection::runtime, Rejection::rule).containsExactly(tuple("process", "pinned"));
    }

    @Test
    void aPinnedRuntimeThatBreaksARuleIsRefusedNamingTheRule() {
        var spec = JobSpec.builder().command("x").runtime("process").untrusted().build();
        Selection s = selector.select(spec, List.of(PROCESS, GVISOR), node);
        assertThat(s.refused()).isTrue();
        assertThat(s.reason()).startsWith("refused: runtime 'process' breaks rule untrusted-needs-kernel-boundary: "
                + "untrusted code needs hardware (microVM) or software-kernel (gVisor) isolation");
    }

    @Test
    void aPinnedRuntimeOverTheLatencyBudgetStillRunsAsNothingElseMayMeetIt() {
        var spec = withProfile(Trust.TRUSTED, 10, null).toBuilder().runtime("podman").build();
        Selection s = selector.select(spec, List.of(PROCESS, PODMAN), node);
        assertThat(s.runtime()).isEqualTo("podman");
        assertThat(s.reason()).contains("no runtime meets the latency budget of 10 ms");
    }

    @Test
    void aPinnedRuntimeMissingFromTheNodeIsRefused() {
        var spec = JobSpec.builder().command("x").runtime("kata").build();
        Selection s = selector.select(spec, List.of(PROCESS), node);
        assertThat(s.refused()).isTrue();
        assertThat(s.reason()).isEqualTo("refused: pinned runtime 'kata' is not on this node");
    }

    @Test
    void aNodeWithoutRuntimesRefusesEveryJob() {
        assertThat(selector.select(JobSpec.of("true"), List.of(), node).reason())
                .isEqualTo("refused: this node has no runtimes");
    }

    // the record

    @Test
    void theRecordListsEveryRuntimeWithItsFiguresTheRankedOnesFirst() {
        var pools = new WarmPools(Map.of("gvisor", 2));
        Selection s = selector.select(untrusted(), List.of(PROCESS, PODMAN, GVISOR), node, pools);
        assertThat(s.candidates()).containsExactly(
                new Candidate("gvisor", "software-kernel", 130L, 2),
                new Candidate("process", "namespace", 4L, 0),
                new Candidate("podman", "namespace", 300L, 0));
    }

    @Test
    void theRecordSurvivesJsonAndOlderRecordsWithoutFiguresStillRead() {
        Selection s = selector.select(JobSpec.of("true"), List.of(PROCESS, GVISOR), node, warm("gvisor"));
        assertThat(Json.read(Json.write(s), Selection.class)).isEqualTo(s);
        var older = Json.read("{\"runtime\":\"process\",\"reason\":\"r\",\"rejected\":[]}", Selection.class);
        assertThat(older.candidates()).isEmpty();
    }

    @Test
    void everyRuleOfTheStandardSelectorIsApplied() {
        var caps = GVISOR.capabilities();
        var tiny = new RuntimeStatus("tiny", "tiny", new RuntimeCapabilities(caps.isolation(), caps.bootClass(), 4096,
                caps.threading(), caps.fork(), caps.fullSyscalls(), caps.gpu(), caps.snapshot(), caps.virtioFs(),
                caps.discard(), caps.freePageReporting(), caps.networkModes()), GVISOR.probe());
        Selection s = selector.select(untrusted(), List.of(tiny), node);
        assertThat(s.rejected()).extracting(Rejection::rule).containsExactly("memory-above-floor");
    }
}
