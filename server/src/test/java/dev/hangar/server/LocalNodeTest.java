package dev.hangar.server;

import static org.assertj.core.api.Assertions.assertThat;

import dev.hangar.core.cluster.NodeInfo;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.atomic.AtomicReference;
import org.junit.jupiter.api.Test;

class LocalNodeTest {
    private static NodeInfo node(int runningJobs, List<String> runtimes) {
        var capacity = new NodeInfo.Capacity(4, 4096, 0);
        return new NodeInfo("n1", NodeInfo.State.JOINED, capacity, runtimes,
                new NodeInfo.Load(runningJobs, 4 - runningJobs, 4096, 0), null, List.of(), false, null);
    }

    @Test
    void theNodeIsListedAsItIsNowAndAnnouncedOnlyWhenItJoinsAndIsLost() throws Exception {
        var now = new AtomicReference<>(node(0, List.of("process", "gvisor")));
        var local = new LocalNode(now::get);
        var told = new ArrayList<NodeInfo>();
        try (AutoCloseable watching = local.watch(told::add)) {
            assertThat(local.nodes()).isEmpty();
            local.join();
            now.set(node(2, List.of("process")));

            assertThat(local.nodes()).singleElement().satisfies(listed -> {
                assertThat(listed.load().runningJobs()).isEqualTo(2);
                assertThat(listed.runtimes()).containsExactly("process");
                assertThat(listed.state()).isEqualTo(NodeInfo.State.JOINED);
            });
            local.leave();
        }
        assertThat(local.nodes()).isEmpty();
        assertThat(told).extracting(NodeInfo::state).containsExactly(NodeInfo.State.JOINED, NodeInfo.State.LOST);
    }
}
