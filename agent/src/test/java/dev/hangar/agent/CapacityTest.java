package dev.hangar.agent;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.hangar.core.cluster.NodeStatus;
import dev.hangar.core.job.MountPolicy;
import dev.hangar.core.job.Resources;
import dev.hangar.core.runtime.BootClass;
import dev.hangar.core.runtime.Isolation;
import dev.hangar.core.runtime.NetworkMode;
import dev.hangar.core.runtime.RuntimeCapabilities;
import dev.hangar.core.runtime.RuntimeProbe;
import dev.hangar.core.runtime.RuntimeStatus;
import dev.hangar.core.runtime.Threading;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.Map;
import java.util.Set;
import org.junit.jupiter.api.Test;

class CapacityTest {
    @org.junit.jupiter.api.io.TempDir
    java.nio.file.Path claims;

    private final AgentConfig config = new AgentConfig("n", 4, 1024, List.of("0", "1", "2"), 3, Duration.ofSeconds(30),
            Duration.ofMillis(500), false, MountPolicy.none(), java.util.Set.of());

    private static Resources gpus(int n) {
        return new Resources(1.0, 256L, null, null, n, null);
    }

    @Test
    void eachJobGetsItsOwnGpusAndReturnsThem() {
        var capacity = new Capacity(config, 64, new GpuClaims(claims));
        List<String> first = leased(capacity, 2);
        List<String> second = leased(capacity, 1);
        assertThat(first).containsExactly("0", "1");
        assertThat(second).containsExactly("2");
        assertThat(capacity.request("n", Duration.ofSeconds(1), List.of()).freeGpus()).isZero();
        assertThatThrownBy(() -> capacity.reserve(gpus(1), 1)).hasMessageContaining("0 offered");
        capacity.letGoOfOfferedGpus();
        capacity.release(gpus(2), first);
        assertThat(leased(capacity, 1)).containsExactly("0");
    }

    /** As the agent leases: a request, which claims the GPUs it offers, the reserve, then the rest let go. */
    private static List<String> leased(Capacity capacity, int gpus) {
        capacity.request("n", Duration.ofSeconds(1), List.of());
        try {
            return capacity.reserve(gpus(gpus), gpus);
        } finally {
            capacity.letGoOfOfferedGpus();
        }
    }

    @Test
    void fractionsOfACpuGivenBackInAnotherOrderLeaveExactlyWhatWasThere() {
        var capacity = new Capacity(config, 64, new GpuClaims(claims));
        var shares = List.of(0.7, 0.3, 0.1);
        shares.forEach(cpus -> capacity.reserve(new Resources(cpus, 16L, null, null, 0, null), 0));
        assertThat(capacity.request("n", Duration.ofSeconds(1), List.of()).freeCpus()).isEqualTo(2.9);
        shares.reversed().forEach(cpus -> capacity.release(new Resources(cpus, 16L, null, null, 0, null), List.of()));
        // a job that asks for the whole node is offered it again
        assertThat(capacity.request("n", Duration.ofSeconds(1), List.of()).freeCpus()).isEqualTo(4.0);
        capacity.reserve(new Resources(3.7, 16L, null, null, 0, null), 0);
        assertThat(capacity.request("n", Duration.ofSeconds(1), List.of()).freeCpus()).as("what a job of 0.3 holds")
                .isEqualTo(0.3);
    }

    @Test
    void theLeaseRequestOffersWhatIsLeft() {
        var capacity = new Capacity(config, 64, new GpuClaims(claims));
        capacity.reserve(gpus(0), 0);
        var request = capacity.request("n", Duration.ofSeconds(1), List.of());
        assertThat(request.freeCpus()).isEqualTo(3.0);
        assertThat(request.freeMemoryMb()).isEqualTo(768);
        assertThat(request.freeGpus()).isEqualTo(3);
        capacity.reserve(gpus(0), 0);
        capacity.reserve(gpus(0), 0);
        assertThat(capacity.hasRoom()).as("maxJobs reached").isFalse();
        assertThat(capacity.load()).isEqualTo(new NodeStatus.Load(3, 1.0, 256, 3));
    }

    @Test
    void theLeaseRequestNamesTheUsableRuntimesAndThoseBehindAKernelBoundaryOrPassingGpusThrough() {
        var request = new Capacity(config, 64, new GpuClaims(claims)).request("n", Duration.ofSeconds(1), List.of(
                runtime("process", Isolation.PROCESS, true, false), runtime("gvisor", Isolation.SOFTWARE_KERNEL, true, false),
                runtime("podman", Isolation.NAMESPACE, true, true), runtime("kata", Isolation.HARDWARE, false, true)));
        assertThat(request.runtimes()).containsExactlyInAnyOrder("process", "gvisor", "podman");
        assertThat(request.kernelBoundaryRuntimes()).containsExactly("gvisor");
        assertThat(request.gpuRuntimes()).as("usable ones only").containsExactly("podman");
    }

    @Test
    void theLeaseRequestNamesEachUsableRuntimesMemoryFloor() {
        var request = new Capacity(config, 64, new GpuClaims(claims)).request("n", Duration.ofSeconds(1), List.of(
                runtime("process", Isolation.PROCESS, true, false, 0), runtime("gvisor", Isolation.SOFTWARE_KERNEL, true, false, 32),
                runtime("kata", Isolation.HARDWARE, false, false, 128)));
        assertThat(request.memoryFloorsMb()).as("usable ones with a floor").isEqualTo(Map.of("gvisor", 32L));
    }

    private static RuntimeStatus runtime(String name, Isolation isolation, boolean available, boolean gpu) {
        return runtime(name, isolation, available, gpu, 0);
    }

    private static RuntimeStatus runtime(String name, Isolation isolation, boolean available, boolean gpu, long floorMb) {
        var caps = new RuntimeCapabilities(isolation, BootClass.FAST, floorMb, Threading.NATIVE, true, true, gpu, false,
                false, false, false, Set.of(NetworkMode.NONE));
        return new RuntimeStatus(name, name, caps,
                new RuntimeProbe(available, available ? "ok" : "missing", Duration.ZERO, false, Instant.EPOCH, Map.of(), false));
    }

    @Test
    void noJobLargerThanTheCoresIsAskedForThoughMoreCpusAreFreeToReserve() {
        // 4 CPUs to reserve on 2 cores: two jobs of 2 fit, one of 4 would get half of what it asks for
        var capacity = new Capacity(config, 2, new GpuClaims(claims));
        assertThat(capacity.request("n", Duration.ofSeconds(1), List.of()).freeCpus()).isEqualTo(2.0);
        capacity.reserve(new Resources(1.5, 16L, null, null, 0, null), 0);
        assertThat(capacity.request("n", Duration.ofSeconds(1), List.of()).freeCpus()).isEqualTo(2.0);
        capacity.reserve(new Resources(1.5, 16L, null, null, 0, null), 0);
        assertThat(capacity.request("n", Duration.ofSeconds(1), List.of()).freeCpus()).as("what is left, below the cores")
                .isEqualTo(1.0);
        assertThat(capacity.load().freeCpus()).as("the load tells all that is free").isEqualTo(1.0);
    }

    @Test
    void aGpuAnotherNodeOfTheHostHasIsNeitherOfferedNorGiven() {
        // an agent and the node of a 'hangar run' beside it each counted every GPU as theirs: both gave GPU 0
        var agent = new Capacity(config, 64, new GpuClaims(claims));
        var beside = new Capacity(config, 64, new GpuClaims(claims));
        assertThat(leased(agent, 1)).containsExactly("0");

        assertThat(beside.request("n", Duration.ofSeconds(1), List.of()).freeGpus()).isEqualTo(2);
        assertThat(beside.load().freeGpus()).isEqualTo(2);
        // while the other's lease call offers GPUs 1 and 2, they are its: a job leased for them has them
        assertThat(agent.request("n", Duration.ofSeconds(1), List.of()).freeGpus()).isZero();
        assertThat(agent.load().freeGpus()).isZero();
        agent.letGoOfOfferedGpus();
        assertThat(beside.reserve(gpus(1), 1)).containsExactly("1");
        beside.letGoOfOfferedGpus();

        assertThat(agent.request("n", Duration.ofSeconds(1), List.of()).freeGpus()).as("0 its own job's, 1 taken")
                .isEqualTo(1);
        assertThat(beside.request("n", Duration.ofSeconds(1), List.of()).freeGpus()).as("0 a job's, 2 offered by the other")
                .isZero();
        beside.letGoOfOfferedGpus();
        agent.letGoOfOfferedGpus();

        agent.release(gpus(1), List.of("0"));
        assertThat(beside.request("n", Duration.ofSeconds(1), List.of()).freeGpus()).as("0 let go, and 2").isEqualTo(2);
        assertThat(beside.reserve(gpus(2), 2)).containsExactly("0", "2");
    }

    @Test
    void aNodeWithoutARuntimeThatPassesGpusClaimsNone() {
        var capacity = new Capacity(config, 64, new GpuClaims(claims));
        var beside = new Capacity(config, 64, new GpuClaims(claims));
        capacity.request("n", Duration.ofSeconds(1), List.of(runtime("process", Isolation.PROCESS, true, false)));

        assertThat(beside.request("n", Duration.ofSeconds(1), List.of()).freeGpus()).as("none hidden from it").isEqualTo(3);
    }
}
