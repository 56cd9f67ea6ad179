package dev.hangar.server;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.hangar.core.cluster.NodeInfo;
import dev.hangar.core.cluster.NodeRegistry;
import dev.hangar.queue.testkit.InMemoryNodeRegistry;
import dev.hangar.core.cluster.NodeStatus;
import dev.hangar.core.job.FieldError;
import dev.hangar.core.job.InvalidSpecException;
import dev.hangar.core.job.JobSpec;
import dev.hangar.core.job.MountPolicy;
import dev.hangar.core.job.Needs;
import dev.hangar.core.job.Trust;
import dev.hangar.core.job.WorkloadProfile;
import dev.hangar.core.job.Resources;
import dev.hangar.core.queue.QueueException;
import dev.hangar.core.runtime.BootClass;
import dev.hangar.core.runtime.Isolation;
import dev.hangar.core.runtime.Mount;
import dev.hangar.core.runtime.NetworkMode;
import dev.hangar.core.runtime.RuntimeCapabilities;
import dev.hangar.core.runtime.RuntimeProbe;
import dev.hangar.core.runtime.RuntimeStatus;
import dev.hangar.core.runtime.Threading;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Set;
import org.junit.jupiter.api.Test;

class ClusterNodesTest {
    private final InMemoryNodeRegistry registry = new InMemoryNodeRegistry();
    private final ClusterNodes cluster = new ClusterNodes(registry);
    private final List<NodeInfo> told = new ArrayList<>();

    {
        cluster.watchNodes(told::add);
    }

    /** A runtime that passes GPUs through and gives no network, with process isolation. */
    static RuntimeStatus runtime(String name, boolean available) {
        return runtime(name, available, Isolation.PROCESS, Set.of(NetworkMode.NONE));
    }

    private static RuntimeStatus runtime(String name, boolean available, Isolation isolation, Set<NetworkMode> network) {
        var caps = new RuntimeCapabilities(isolation, BootClass.FAST, 0, Threading.NATIVE, true, true, true,
                false, false, false, false, network);
        return new RuntimeStatus(name, name, caps,
                new RuntimeProbe(available, available ? "ok" : "not installed", Duration.ZERO, false, Instant.EPOCH, Map.of(), false));
    }

    private static NodeStatus node(String name, int cores, long memoryMb, int gpus, List<RuntimeStatus> runtimes,
            Set<String> images) {
        var capacity = new NodeStatus.Capacity(cores * 4, memoryMb, gpus);
        return new NodeStatus(name, capacity, new NodeStatus.Load(2, cores * 4 - 1.5, memoryMb - 512, gpus), cores,
                runtimes, images, MountPolicy.none(), Instant.parse("2026-12-01T00:00:00Z"));
    }

    /** The same heartbeat from a node that gives sandboxes a network. */
    private static NodeStatus givingANetwork(NodeStatus node) {
        return new NodeStatus(node.name(), node.capacity(), node.load(), node.cores(), node.runtimes(), node.images(),
                node.mounts(), true, node.heartbeatAt(), List.of(), null, false, null);
    }

    /** These nodes beat, and the cluster has read them. */
    private void beat(NodeStatus... nodes) {
        for (NodeStatus node : nodes) {
            registry.heartbeat(node, Duration.ofSeconds(10));
        }
        cluster.poll();
    }

    @Test
    void aNodeWhoseHeartbeatAppearsJoinsAndOneWhoseHeartbeatExpiredIsLost() {
        beat(node("a", 2, 4096, 0, List.of(runtime("process", true)), Set.of()));
        registry.heartbeat(node("b", 2, 4096, 0, List.of(runtime("process", true)), Set.of()), Duration.ofSeconds(10));
        registry.leave("a");
        cluster.poll();

        assertThat(told).extracting(NodeInfo::name, NodeInfo::state).containsExactly(
                org.assertj.core.groups.Tuple.tuple("a", NodeInfo.State.JOINED),
                org.assertj.core.groups.Tuple.tuple("b", NodeInfo.State.JOINED),
                org.assertj.core.groups.Tuple.tuple("a", NodeInfo.State.LOST));
        assertThat(cluster.nodes()).extracting(NodeInfo::name).containsExactly("b");
    }

    @Test
    void aNodeBackWithinItsHeartbeatsLifeWithOtherCapacityIsToldAgainButABeatAloneIsNot() {
        beat(node("a", 2, 4096, 0, List.of(runtime("process", true)), Set.of()));
        beat(node("a", 2, 4096, 0, List.of(runtime("process", true)), Set.of())); // its next heartbeat
        beat(node("a", 4, 8192, 0, List.of(runtime("process", true)), Set.of())); // restarted with more

        assertThat(told).extracting(NodeInfo::name, NodeInfo::state).containsExactly(
                org.assertj.core.groups.Tuple.tuple("a", NodeInfo.State.JOINED),
                org.assertj.core.groups.Tuple.tuple("a", NodeInfo.State.JOINED));
        assertThat(told.getLast().capacity().memoryMb()).isEqualTo(8192);
    }

    @Test
    void beforeAnyNodeBeatsNoneIsKnownAndAJobIsTakenAtItsWord() {
        assertThat(cluster.anyNodeKnown()).isFalse();
        assertThat(cluster.limits().maxGpus()).as("no bound yet").isEqualTo(Integer.MAX_VALUE);

        beat(node("a", 2, 4096, 0, List.of(runtime("process", true)), Set.of()));
        assertThat(cluster.anyNodeKnown()).isTrue();
        assertThat(cluster.limits().maxGpus()).isZero();
    }

    @Test
    void theNodesListShowsEachNodesLoadAndAvailableRuntimes() {
        beat(node("a", 2, 4096, 1, List.of(runtime("process", true), runtime("gvisor", false)), Set.of()));

        NodeInfo a = cluster.nodes().get(0);
        assertThat(a.runtimes()).containsExactly("process");
        assertThat(a.load()).isEqualTo(new NodeInfo.Load(2, 6.5, 3584, 1));
        assertThat(a.heartbeatAt()).isEqualTo(Instant.parse("2026-12-01T00:00:00Z"));
    }

    @Test
    void aJobIsBoundedByTheWidestNodeAndMayNameAnyNodesRuntimeOrImage() {
        beat(node("small", 2, 2048, 0, List.of(runtime("process", true)), Set.of("busybox")),
                node("gpu", 16, 65536, 4, List.of(runtime("gvisor", true)), Set.of("debian")));

        var limits = cluster.limits();
        assertThat(limits.maxCpus()).isEqualTo(16);
        assertThat(limits.maxMemoryMb()).isEqualTo(65536);
        assertThat(limits.maxGpus()).isEqualTo(4);
        assertThat(limits.knownRuntimes()).containsExactlyInAnyOrder("process", "gvisor");
        assertThat(limits.knownImages()).containsExactlyInAnyOrder("busybox", "debian");
        assertThat(cluster.runtimes()).extracting(RuntimeStatus::name).containsExactly("gvisor", "process");
    }

    @Test
    void aJobAskingForMoreCpusThanAnyNodeLetsJobsReserveIsRefusedThoughANodeHasTheCores() {
        NodeStatus big = node("big", 16, 65536, 0, List.of(runtime("process", true)), Set.of());
        // hangar agent --cpus 4 on 16 cores: no lease would ever give a job of 8 CPUs its room there
        beat(new NodeStatus(big.name(), new NodeStatus.Capacity(4, 65536, 0), NodeStatus.Load.idle(
                new NodeStatus.Capacity(4, 65536, 0)), big.cores(), big.runtimes(), big.images(), big.mounts(),
                big.heartbeatAt()));

        assertThat(cluster.limits().maxCpus()).isEqualTo(4);
        assertThatThrownBy(() -> cluster.validate(JobSpec.builder().command("true")
                .resources(new Resources(8.0, 512L, null, null, 0, null)).build()))
                .isInstanceOfSatisfying(InvalidSpecException.class, e -> assertThat(e.errors()).singleElement()
                        .satisfies(error -> {
                            assertThat(error.field()).isEqualTo("resources.cpus");
                            assertThat(error.reason()).contains("at most 4.0 (the most one node gives a job");
                        }));
    }

    @Test
    void aJobIsAcceptedOnlyIfOneNodeHasAllItAsksForAndElseTheNearestNodeIsNamed() {
        beat(node("gpu", 16, 65536, 4, List.of(runtime("process", true)), Set.of("busybox")),
                node("sandboxed", 2, 4096, 0, List.of(runtime("gvisor", true)), Set.of("busybox")));
        JobSpec gpuOnGvisor = JobSpec.builder().command("nvidia-smi").runtime("gvisor")
                .resources(new Resources(8.0, 1024L, null, null, 1, null)).build();

        assertThat(cluster.limits().knownRuntimes()).as("each need alone is some node's").contains("gvisor");
        assertThatThrownBy(() -> cluster.validate(gpuOnGvisor)).isInstanceOfSatisfying(InvalidSpecException.class,
                e -> assertThat(e.errors()).singleElement().satisfies(error -> {
                    assertThat(error.field()).isEqualTo("runtime");
                    assertThat(error.reason()).contains("gvisor")
                            .startsWith("no one node has all this job asks for; on node 'gpu', the nearest fit: ");
                }));
        assertThat(cluster.validate(gpuOnGvisor.toBuilder().runtime("process").build()).runtime()).isEqualTo("process");
        assertThat(cluster.validate(gpuOnGvisor.toBuilder().resources(new Resources(1.0, 512L, null, null, 0, null))
                .build()).runtime()).isEqualTo("gvisor");
    }

    /** The same heartbeat from a node with these labels. */
    private static NodeStatus labelled(NodeStatus node, Map<String, String> labels) {
        return new NodeStatus(node.name(), node.capacity(), node.load(), node.cores(), node.runtimes(), node.images(),
                node.mounts(), node.networkAllowed(), node.heartbeatAt(), List.of(), null, false, null, labels);
    }

    @Test
    void aJobThatSelectsNodesByLabelIsAcceptedOnlyIfOneNodeHasThemAllAndElseWhatTheNodesHaveIsNamed() {
        beat(labelled(node("a100-1", 16, 65536, 4, List.of(runtime("process", true)), Set.of()),
                        Map.of("gpu-model", "a100", "zone", "r1")),
                labelled(node("l4-1", 16, 65536, 2, List.of(runtime("process", true), runtime("gvisor", true)), Set.of()),
                        Map.of("gpu-model", "l4", "zone", "r2")));
        JobSpec a100InR1 = JobSpec.builder().command("true").nodeSelector("gpu-model", "a100").nodeSelector("zone", "r1")
                .build();

        assertThat(cluster.validate(a100InR1).nodeSelector()).hasSize(2);
        assertThat(cluster.runtimesFor(a100InR1)).as("an explain chooses among the runtimes of the nodes it selects")
                .extracting(RuntimeStatus::name).containsExactly("process");
        assertThat(cluster.runtimes()).extracting(RuntimeStatus::name).containsExactly("gvisor", "process");
        assertThat(cluster.waitingFor(a100InR1)).isEmpty();
        assertThat(cluster.nodes()).extracting(NodeInfo::labels)
                .containsExactly(Map.of("gpu-model", "a100", "zone", "r1"), Map.of("gpu-model", "l4", "zone", "r2"));
        assertThatThrownBy(() -> cluster.validate(a100InR1.toBuilder().nodeSelector("gpu-model", "h100").build()))
                .isInstanceOfSatisfying(InvalidSpecException.class, e -> assertThat(e.errors()).containsExactly(
                        new FieldError("nodeSelector.gpu-model", "no node has gpu-model=h100; nodes have gpu-model=a100, l4")));
        JobSpec a100InR2 = a100InR1.toBuilder().nodeSelector("zone", "r2").build();
        assertThatThrownBy(() -> cluster.validateFields(a100InR2)).as("each label is some node's, both are no one node's,"
                        + " as an explain checks it too")
                .isInstanceOfSatisfying(InvalidSpecException.class, e -> assertThat(e.errors()).containsExactly(
                        new FieldError("nodeSelector", "no one node has all of gpu-model=a100,zone=r2; the nodes' labels:"
                                + " gpu-model=a100,zone=r1; gpu-model=l4,zone=r2")));
        assertThatThrownBy(() -> cluster.validate(a100InR2)).isInstanceOf(InvalidSpecException.class);
        assertThat(cluster.waitingFor(a100InR2)).contains("no node that is up can run it: nodeSelector.zone: no one node"
                + " has all this job asks for; on node 'a100-1', the nearest fit: the node has zone=r1, not r2");
    }

    @Test
    void aJobMayAskForANetworkOnlyWhenSomeNodeGivesOne() {
        var withoutNetwork = node("closed", 2, 2048, 0, List.of(runtime("process", true)), Set.of("busybox"));
        beat(withoutNetwork);
        assertThat(cluster.limits().networkAllowed()).as("no node gives one").isFalse();

        beat(givingANetwork(node("open", 2, 2048, 0, List.of(runtime("process", true)), Set.of("busybox"))));
        assertThat(cluster.limits().networkAllowed()).as("one node of two gives one").isTrue();
        assertThat(cluster.nodes()).extracting(n -> n.name() + ":" + n.networkAllowed())
                .containsExactly("closed:false", "open:true");
    }

    @Test
    void aJobIsAcceptedOnlyIfTheRulesLeaveItARuntimeOnOneNode() {
        var processAndPodman = List.of(runtime("process", true),
                runtime("podman", true, Isolation.NAMESPACE, Set.of(NetworkMode.NONE, NetworkMode.BRIDGE)));
        beat(givingANetwork(node("open", 2, 2048, 0, processAndPodman, Set.of("busybox"))));
        JobSpec networked = JobSpec.builder().command("curl", "example.org")
                .profile(new WorkloadProfile(null, new Needs(null, null, null, true), null, null)).build();

        assertThat(cluster.validate(networked).runtime()).as("podman gives it").isNull();
        assertThatThrownBy(() -> cluster.validate(networked.toBuilder().runtime("process").build()))
                .isInstanceOfSatisfying(InvalidSpecException.class, e -> assertThat(e.errors()).singleElement()
                        .satisfies(error -> {
                            assertThat(error.field()).as("what the pinned runtime cannot give").isEqualTo("profile.needs.network");
                            assertThat(error.reason()).startsWith("no one node has all this job asks for; on node 'open'")
                                    .contains("network-needs-permission", "cannot give its sandboxes a network");
                        }));
        assertThatThrownBy(() -> cluster.validate(networked.toBuilder().untrusted().build()))
                .isInstanceOfSatisfying(InvalidSpecException.class, e -> assertThat(e.errors()).singleElement()
                        .satisfies(error -> assertThat(error.field()).isEqualTo("profile.trust")))
                .hasMessageContaining("untrusted-needs-kernel-boundary");

        RuntimeStatus hostsOnly = runtime("gvisor", true, Isolation.SOFTWARE_KERNEL, Set.of(NetworkMode.NONE, NetworkMode.HOST));
        beat(givingANetwork(node("sandboxed", 2, 2048, 0, List.of(hostsOnly), Set.of("busybox"))));
        assertThatThrownBy(() -> cluster.validate(networked.toBuilder().untrusted().build()))
                .as("untrusted code is not given the host's network").isInstanceOf(InvalidSpecException.class);

        RuntimeStatus gvisor = runtime("gvisor", true, Isolation.SOFTWARE_KERNEL, Set.of(NetworkMode.NONE, NetworkMode.BRIDGE));
        beat(givingANetwork(node("sandboxed", 2, 2048, 0, List.of(benched(gvisor)), Set.of("busybox"))));
        assertThat(cluster.validate(networked.toBuilder().untrusted().build()).profile().trust())
                .as("on gvisor, which is benched for a while: the job waits for it").isEqualTo(Trust.UNTRUSTED);
    }

    @Test
    void aJobForARuntimeWhoseProbeFailedOnEveryNodeIsRefusedWithTheProbesReason() {
        RuntimeStatus process = runtime("process", true);
        beat(node("a", 2, 2048, 0, List.of(process, runtime("kata", false)), Set.of()),
                node("b", 2, 2048, 0, List.of(benched(runtime("gvisor", true))), Set.of()));

        assertThatThrownBy(() -> cluster.validate(JobSpec.builder().command("true").runtime("kata").build()))
                .isInstanceOfSatisfying(InvalidSpecException.class, e -> assertThat(e.errors()).singleElement()
                        .satisfies(error -> {
                            assertThat(error.field()).isEqualTo("runtime");
                            assertThat(error.reason()).contains("runtime-available", "not installed");
                        }));
        assertThat(cluster.validate(JobSpec.builder().command("true").runtime("gvisor").build()).runtime())
                .as("benched on b for a while: the job waits for it").isEqualTo("gvisor");
    }

    private static RuntimeStatus benched(RuntimeStatus runtime) {
        return new RuntimeStatus(runtime.name(), runtime.description(), runtime.capabilities(),
                runtime.probe().benchedFor("benched for 30 s more: 3 sandboxes in a row failed on this node"));
    }

    @Test
    void aMountIsCheckedByNameAgainstTheNodesRootsNotOnTheServersOwnFiles() {
        var data = node("data", 2, 2048, 0, List.of(runtime("process", true)), Set.of("busybox"));
        beat(new NodeStatus(data.name(), data.capacity(), data.load(), data.cores(), data.runtimes(), data.images(),
                new MountPolicy(List.of(Path.of("/hangar-test-nowhere/data"))), false, data.heartbeatAt(), List.of(), null, false, null));
        JobSpec mounting = JobSpec.builder().command("ls", "/data")
                .mounts(List.of(new Mount("/hangar-test-nowhere/data/set1", "/data", true))).build();

        assertThat(cluster.validate(mounting).mounts()).as("the path is on the node, not here").hasSize(1);
        assertThatThrownBy(() -> cluster.validate(mounting.toBuilder()
                .mounts(List.of(new Mount("/hangar-test-nowhere/data/../secrets", "/data", true))).build()))
                .isInstanceOfSatisfying(InvalidSpecException.class, e -> assertThat(e.errors()).singleElement()
                        .satisfies(error -> {
                            assertThat(error.field()).isEqualTo("mounts[0].hostPath");
                            assertThat(error.reason()).contains("is not under an allowed host path");
                        }));
    }

    @Test
    void beforeAnyNodeHasBeatenAJobMayNameAnyRuntimeHangarHas() {
        cluster.poll();

        assertThat(cluster.limits().knownRuntimes()).as("the job's word is taken; an agent checks it when it leases")
                .containsExactlyInAnyOrderElementsOf(dev.hangar.core.job.SpecLimits.RUNTIME_NAMES);
        assertThat(cluster.limits().networkAllowed()).isTrue();
    }

    @Test
    void beforeAnyNodeHasBeatenAJobsMountsAreTakenAtTheirWordButTheirShapeIsStillChecked() {
        cluster.poll();
        JobSpec mounting = JobSpec.builder().command("ls", "/data")
                .mounts(List.of(new Mount("/srv/data", "/data", true))).build();

        assertThat(cluster.validate(mounting).mounts()).as("a node may allow it; the one that leases it checks")
                .containsExactly(new Mount("/srv/data", "/data", true));
        assertThatThrownBy(() -> cluster.validate(JobSpec.builder().command("ls")
                .mounts(List.of(new Mount("/srv/../etc", "/data", true))).build()))
                .isInstanceOf(InvalidSpecException.class).hasMessageContaining("mounts[0].hostPath");
    }

    /** A cluster, on the clock {@code now} (nanoseconds), that has read a node "cpu" and a node "gpu" with 4 GPUs. */
    private static final JobSpec NEEDS_A_GPU = JobSpec.builder().command("nvidia-smi")
            .resources(new Resources(1.0, 512L, null, null, 1, null)).build();

    private ClusterNodes cpuAndGpuNodes(long[] now) {
        var nodes = new ClusterNodes(registry, () -> now[0]);
        registry.heartbeat(node("cpu", 2, 2048, 0, List.of(runtime("process", true)), Set.of("busybox")), Duration.ofSeconds(10));
        registry.heartbeat(node("gpu", 16, 65536, 4, List.of(runtime("process", true)), Set.of("busybox")), Duration.ofSeconds(10));
        nodes.poll();
        return nodes;
    }

    @Test
    void aJobOnlyANodeLostAMomentAgoCanRunIsTakenForItsRestartAndRefusedOnceItStaysAway() {
        long[] now = {0};
        var nodes = cpuAndGpuNodes(now);

        registry.leave("gpu"); // an agent restarted for an upgrade
        nodes.poll();
        now[0] += Duration.ofMinutes(9).toNanos();
        nodes.poll();
        assertThat(nodes.nodes()).extracting(NodeInfo::name).containsExactly("cpu");
        assertThat(nodes.validate(NEEDS_A_GPU).resources().gpus()).isEqualTo(1);

        now[0] += Duration.ofMinutes(2).toNanos();
        nodes.poll();
        assertThatThrownBy(() -> nodes.validate(NEEDS_A_GPU)).isInstanceOf(InvalidSpecException.class)
                .hasMessageContaining("resources.gpus");
    }

    /** A queued job that only lost nodes could run says so, where the submit still took it (their restart). */
    @Test
    void aJobOnlyLostNodesCouldRunIsSaidToWaitAndWhyAndOneANodeUpCanRunIsNot() {
        long[] now = {0};
        var nodes = cpuAndGpuNodes(now);
        JobSpec plain = JobSpec.of("true");
        assertThat(nodes.waitingFor(NEEDS_A_GPU)).isEmpty();

        registry.leave("gpu");
        nodes.poll();

        assertThat(nodes.waitingFor(NEEDS_A_GPU)).get(org.assertj.core.api.InstanceOfAssertFactories.STRING)
                .startsWith("no node that is up can run it: resources.gpus: ").contains("on node 'cpu'");
        assertThat(nodes.waitingFor(plain)).isEmpty();
        registry.leave("cpu");
        nodes.poll();
        assertThat(nodes.waitingFor(plain)).contains("no node is up: no agent has sent a heartbeat for a while");
        assertThat(new ClusterNodes(new InMemoryNodeRegistry()).waitingFor(plain))
                .contains("no node has joined: no agent sends heartbeats");
    }

    /** Nodes asked to drain still count for a submit's check (they come back), but not as taking jobs. */
    @Test
    void nodesAskedToDrainTakeNoJobsAndAreNamedWhereOnlyTheyCould() {
        registry.heartbeat(node("a", 2, 2048, 0, List.of(runtime("process", true)), Set.of()), Duration.ofSeconds(10));
        registry.heartbeat(node("b", 2, 2048, 0, List.of(runtime("gvisor", true)), Set.of()), Duration.ofSeconds(10));
        registry.drain("b", Instant.now());
        cluster.poll();
        JobSpec gvisor = JobSpec.builder().command("true").runtime("gvisor").build();

        assertThat(cluster.validate(gvisor)).as("still taken: b comes back").isNotNull();
        assertThat(cluster.waitingFor(gvisor)).contains("only nodes asked to drain could run it, and they take no more jobs: b");
        assertThat(cluster.runtimeWaitingFor("gvisor")).contains("only nodes asked to drain could run it, and they take no"
                + " more jobs: b");
        assertThat(cluster.waitingFor(JobSpec.of("true"))).as("a takes it").isEmpty();
        assertThat(cluster.nodes()).extracting(NodeInfo::name, NodeInfo::drain).containsExactly(
                org.assertj.core.groups.Tuple.tuple("a", null), org.assertj.core.groups.Tuple.tuple("b", NodeInfo.Drain.ASKED));

        registry.drain("a", Instant.now());
        cluster.poll();
        JobSpec tooBig = JobSpec.builder().command("true").runtime("process").resources(
                new dev.hangar.core.job.Resources(null, 4096L, null, null, null, null)).build();
        assertThat(cluster.waitingFor(tooBig)).as("none fits, and none takes jobs")
                .contains("every node that is up is asked to drain and takes no more jobs");
    }

    /** A runtime listed only for nodes lost a short while ago says so, as jobs for it would wait. */
    @Test
    void aRuntimeOnlyLostNodesHadIsSaidToMakeItsJobsWaitAndOneANodeUpHasIsNot() {
        long[] now = {0};
        var nodes = new ClusterNodes(registry, () -> now[0]);
        registry.heartbeat(node("a", 2, 2048, 0, List.of(runtime("process", true)), Set.of()), Duration.ofSeconds(10));
        registry.heartbeat(node("b", 2, 2048, 0, List.of(runtime("process", true), runtime("gvisor", true)), Set.of()),
                Duration.ofSeconds(10));
        registry.heartbeat(node("c", 2, 2048, 0, List.of(runtime("gvisor", true)), Set.of()), Duration.ofSeconds(10));
        registry.heartbeat(node("d", 2, 2048, 0, List.of(runtime("gvisor", false)), Set.of()), Duration.ofSeconds(10));
        nodes.poll();
        assertThat(nodes.runtimeWaitingFor("gvisor")).isEmpty();

        registry.leave("b");
        registry.leave("c");
        nodes.poll();
        // it used to list gvisor as available, with no word that no node up has it (d's probe failed)
        assertThat(nodes.runtimes()).extracting(RuntimeStatus::name).containsExactly("gvisor", "process");
        assertThat(nodes.runtimeWaitingFor("gvisor"))
                .contains("no node that is up has it; nodes lost within 10 minutes had it: b, c");
        assertThat(nodes.waitingFor(JobSpec.builder().command("true").runtime("gvisor").build())).isPresent();
        assertThat(nodes.runtimeWaitingFor("process")).isEmpty();

        registry.leave("a");
        registry.leave("d");
        nodes.poll();
        assertThat(nodes.runtimeWaitingFor("process")).contains("no node is up: no agent has sent a heartbeat for a while");
    }

    @Test
    void aNodeLostAMomentAgoStillCountsWhenTheLastLiveNodeIsLostToo() {
        long[] now = {0};
        var nodes = cpuAndGpuNodes(now);
        registry.leave("gpu");
        nodes.poll();
        now[0] += Duration.ofMinutes(1).toNanos();
        registry.leave("cpu");
        nodes.poll();

        assertThat(nodes.nodes()).isEmpty();
        assertThat(nodes.validate(JobSpec.builder().command("nvidia-smi")
                .resources(new Resources(1.0, 512L, null, null, 1, null)).build()).resources().gpus()).isEqualTo(1);
    }

    @Test
    void whileEveryNodeIsDownJobsAreStillCheckedAgainstTheNodesLastSeen() {
        beat(node("a", 2, 2048, 0, List.of(runtime("process", true)), Set.of("busybox")));
        registry.leave("a");
        cluster.poll();

        assertThat(cluster.nodes()).isEmpty();
        assertThat(cluster.limits().knownRuntimes()).containsExactly("process");
        assertThat(cluster.limits().maxMemoryMb()).isEqualTo(2048);
        // an explain reads these runtimes: it agrees with the submit's check
        assertThat(cluster.runtimes()).extracting(RuntimeStatus::name).containsExactly("process");
    }

    @Test
    void whileTheRegistryCannotBeReadTheNodesLastReadAreShownForFivePollsAndThenTheCallFailsAsTheQueueDoes() {
        var failing = new java.util.concurrent.atomic.AtomicBoolean();
        var nanos = new java.util.concurrent.atomic.AtomicLong();
        // the test's registry, whose list of nodes fails while failing is set
        NodeRegistry flaky = (NodeRegistry) java.lang.reflect.Proxy.newProxyInstance(NodeRegistry.class.getClassLoader(),
                new Class<?>[] {NodeRegistry.class}, (proxy, method, args) -> {
                    if (failing.get() && method.getName().equals("nodes")) {
                        throw new QueueException("the queue is out of reach (test)", null);
                    }
                    try {
                        return method.invoke(registry, args);
                    } catch (java.lang.reflect.InvocationTargetException e) {
                        throw e.getCause();
                    }
                });
        var watched = new ClusterNodes(flaky, nanos::get);
        registry.heartbeat(node("a", 2, 2048, 0, List.of(runtime("process", true)), Set.of()), Duration.ofSeconds(10));
        watched.poll();

        failing.set(true);
        nanos.addAndGet(Duration.ofSeconds(4).toNanos());
        assertThatThrownBy(watched::poll).isInstanceOf(QueueException.class);
        assertThat(watched.nodes()).as("a few polls missed").extracting(NodeInfo::name).containsExactly("a");

        nanos.addAndGet(Duration.ofSeconds(2).toNanos());
        assertThatThrownBy(watched::nodes).isInstanceOf(QueueException.class)
                .hasMessageContaining("could not be read for 6 s");
        assertThatThrownBy(watched::runtimes).as("nor the runtimes of nodes that may be long gone")
                .isInstanceOf(QueueException.class).hasMessageContaining("could not be read for 6 s");

        failing.set(false);
        watched.poll();
        assertThat(watched.nodes()).extracting(NodeInfo::name).containsExactly("a");
    }

    @Test
    void aRuntimeAvailableOnAnyNodeIsListedAsAvailable() {
        beat(node("a", 2, 2048, 0, List.of(runtime("gvisor", false)), Set.of()),
                node("b", 2, 2048, 0, List.of(runtime("gvisor", true)), Set.of()));

        assertThat(cluster.runtimes()).singleElement().satisfies(r -> assertThat(r.probe().available()).isTrue());
    }
}
