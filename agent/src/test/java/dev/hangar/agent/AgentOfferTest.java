package dev.hangar.agent;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import dev.hangar.agent.pool.PoolConfig;
import dev.hangar.core.cluster.NodeRegistry;
import dev.hangar.core.job.Job;
import dev.hangar.core.job.JobSpec;
import dev.hangar.core.job.JobState;
import dev.hangar.core.job.MountPolicy;
import dev.hangar.core.job.Needs;
import dev.hangar.core.job.Resources;
import dev.hangar.core.job.WorkloadProfile;
import dev.hangar.core.queue.LeaseRequest;
import dev.hangar.core.queue.QueueBackend;
import dev.hangar.core.runtime.NetworkMode;
import dev.hangar.queue.sqlite.SqliteQueueBackend;
import java.lang.reflect.InvocationTargetException;
import java.lang.reflect.Proxy;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.CopyOnWriteArrayList;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * What an agent offers when it asks for a job. On a queue that a cluster shares, a job that needs
 * what this node lacks (a network, an image) waits for a node that has it; alone, the node takes
 * such a job and refuses it with the reason, rather than leaving it queued for ever.
 */
class AgentOfferTest {
    private static final Duration WAIT = Duration.ofSeconds(30);

    @TempDir
    Path dir;
    private SqliteQueueBackend store;
    private Agent agent;
    private final List<LeaseRequest> asked = new CopyOnWriteArrayList<>();

    @AfterEach
    void stop() {
        if (agent != null) {
            agent.close();
        }
        if (store != null) {
            store.close();
        }
    }

    /** An agent that gives no network and has only busybox, on a queue shared by a cluster or not. */
    private void start(boolean shared) {
        start(shared, false, new FakePrestartingRuntime());
    }

    /** An agent with only busybox, that allows sandboxes a network if {@code allowNetwork}, with this runtime. */
    private void start(boolean shared, boolean allowNetwork, FakePrestartingRuntime runtime) {
        store = SqliteQueueBackend.open(dir.resolve("hangar.db"), java.time.Clock.systemUTC());
        AgentConfig config = new AgentConfig("node", 8, 8 * 1024, List.of(), 4, Duration.ofSeconds(30),
                Duration.ofMillis(50), allowNetwork, MountPolicy.none(), Set.of(), PoolConfig.of(List.of(), 0));
        agent = new Agent(config, seen(store, shared), List.of(runtime), () -> Set.of("busybox")).start();
    }

    /** The store, saying it has a node registry when {@code shared}, and keeping every lease request. */
    private QueueBackend seen(QueueBackend real, boolean shared) {
        NodeRegistry registry = new dev.hangar.queue.testkit.InMemoryNodeRegistry();
        return (QueueBackend) Proxy.newProxyInstance(QueueBackend.class.getClassLoader(), new Class<?>[] {QueueBackend.class},
                (proxy, method, args) -> {
                    if (method.getName().equals("nodeRegistry")) {
                        return shared ? Optional.of(registry) : Optional.empty();
                    }
                    if (method.getName().equals("lease")) {
                        asked.add((LeaseRequest) args[0]);
                    }
                    try {
                        return method.invoke(real, args);
                    } catch (InvocationTargetException e) {
                        throw e.getCause();
                    }
                });
    }

    private static JobSpec job(String image, boolean network) {
        return JobSpec.builder().command("true").runtime(FakePrestartingRuntime.NAME).image(image)
                .profile(new WorkloadProfile(null, new Needs(null, null, null, network), null, null))
                .resources(new Resources(0.5, 128L, null, null, null, null)).build();
    }

    private Job awaitFinal(String id) {
        await().pollDelay(Duration.ZERO).atMost(WAIT).until(() -> store.get(id).orElseThrow().isFinal());
        return store.get(id).orElseThrow();
    }

    @Test
    void onASharedQueueJobsThatNeedANetworkOrAnImageThisNodeLacksWaitForAnotherNode() {
        start(true);
        String networked = store.enqueue(job(null, true)).job().id();
        String debian = store.enqueue(job("debian", false)).job().id();
        String busybox = store.enqueue(job("busybox", false)).job().id();

        assertThat(awaitFinal(busybox).state()).isEqualTo(JobState.SUCCEEDED);
        int before = asked.size();
        await().atMost(WAIT).until(() -> asked.size() >= before + 3); // it asked again, with the two still queued

        assertThat(store.get(networked).orElseThrow().state()).isEqualTo(JobState.QUEUED);
        assertThat(store.get(debian).orElseThrow().state()).isEqualTo(JobState.QUEUED);
        assertThat(asked.getLast().networkRuntimes()).isEmpty();
        assertThat(asked.getLast().images()).containsExactly("busybox");
        assertThat(asked.getLast().mountRoots()).as("it allows no mounts").isEmpty();
    }

    @Test
    void aNodeThatAllowsANetworkOffersOneOnlyIfOneOfItsRuntimesCanGiveIt() {
        start(true, true, new FakePrestartingRuntime());
        String networked = store.enqueue(job(null, true)).job().id();
        await().atMost(WAIT).until(() -> asked.size() >= 3);
        assertThat(asked.getLast().networkRuntimes()).as("its one runtime gives no network").isEmpty();
        assertThat(agent.status(java.time.Instant.now()).networkAllowed()).isFalse();
        assertThat(store.get(networked).orElseThrow().state()).isEqualTo(JobState.QUEUED);
        stop();
        asked.clear();

        start(true, true, new FakePrestartingRuntime(Set.of(NetworkMode.NONE, NetworkMode.HOST)));
        assertThat(awaitFinal(networked).state()).isEqualTo(JobState.SUCCEEDED);
        assertThat(asked.getFirst().networkRuntimes()).containsExactly(FakePrestartingRuntime.NAME);
        assertThat(agent.status(java.time.Instant.now()).networkAllowed()).isTrue();
    }

    @Test
    void aloneTheNodeTakesAJobThatNeedsANetworkItDoesNotGiveAndRefusesItWithTheReason() {
        start(false);
        String networked = store.enqueue(job(null, true)).job().id();

        Job job = awaitFinal(networked);
        assertThat(job.state()).isEqualTo(JobState.FAILED);
        assertThat(job.error()).contains("does not allow sandboxes a network");
        assertThat(asked.getFirst().saysNothingOfWhatItHas()).isTrue();
    }
}
