package dev.hangar.core.cluster;

import static org.assertj.core.api.Assertions.assertThat;

import dev.hangar.core.job.MountPolicy;
import dev.hangar.core.json.Json;
import dev.hangar.core.pool.PoolSpec;
import dev.hangar.core.pool.PoolStatus;
import dev.hangar.core.pool.PoolsView;
import dev.hangar.core.runtime.BootClass;
import dev.hangar.core.runtime.Isolation;
import dev.hangar.core.runtime.NetworkMode;
import dev.hangar.core.runtime.RuntimeCapabilities;
import dev.hangar.core.runtime.RuntimeProbe;
import dev.hangar.core.runtime.RuntimeStatus;
import dev.hangar.core.runtime.Threading;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.Map;
import java.util.Set;
import org.junit.jupiter.api.Test;

class NodeStatusTest {
    static RuntimeStatus runtime(String name, boolean available) {
        var caps = new RuntimeCapabilities(Isolation.SOFTWARE_KERNEL, BootClass.FAST, 64, Threading.NATIVE, true, true,
                false, true, false, false, false, Set.of(NetworkMode.NONE));
        var probe = new RuntimeProbe(available, available ? "ok" : "runsc not found", Duration.ofMillis(120), false,
                Instant.parse("2026-12-01T00:00:00Z"), Map.of("version", "release-2026"), false);
        return new RuntimeStatus(name, name + " sandbox", caps, probe);
    }

    @Test
    void aHeartbeatRoundTripsThroughJsonExactly() {
        var capacity = new NodeStatus.Capacity(8, 16_384, 2);
        var status = new NodeStatus("n1", capacity, new NodeStatus.Load(3, 5.5, 12_000, 1), 2,
                List.of(runtime("gvisor", true), runtime("kata", false)), Set.of("busybox"),
                new MountPolicy(List.of(Path.of("/srv/data"))), true, Instant.parse("2026-12-01T01:02:03.456Z"),
                List.of(new PoolStatus(new PoolSpec("g", "gvisor", "busybox", 1.0, 256L, 2, 8, 60), 2, 0, 1, 10, 1, 0, 0, 0,
                        0, 2, 768, null, null)), new PoolsView.Budget(4096, 768), true,
                Instant.parse("2026-12-01T01:00:00.123Z"));

        var back = Json.read(Json.write(status), NodeStatus.class);

        assertThat(back).isEqualTo(status);
        assertThat(back.availableRuntimes()).containsExactly("gvisor");
    }

    @Test
    void aHeartbeatThatDoesNotSayWhetherItGivesANetworkReadsAsGivingNone() {
        var capacity = new NodeStatus.Capacity(8, 16_384, 0);
        var status = new NodeStatus("n1", capacity, NodeStatus.Load.idle(capacity), 2, List.of(), Set.of("busybox"),
                MountPolicy.none(), true, Instant.parse("2026-12-01T01:02:03.456Z"), List.of(), null, null, null);
        String withoutNetwork = Json.write(status).replace("\"networkAllowed\":true,", "");
        assertThat(withoutNetwork).doesNotContain("networkAllowed");

        assertThat(Json.read(withoutNetwork, NodeStatus.class).networkAllowed()).isFalse();
        // an agent older than draining says nothing of it: not "false", which a server would wait on for ever
        assertThat(Json.read(withoutNetwork, NodeStatus.class).draining()).isNull();
    }

    @Test
    void aNodeRelabelledNamesItsOwnLabelsThroughJsonNoneIncluded() throws Exception {
        var capacity = new NodeStatus.Capacity(8, 16_384, 0);
        var relabelled = new NodeStatus("n1", capacity, NodeStatus.Load.idle(capacity), 2, List.of(), Set.of(),
                MountPolicy.none(), false, Instant.parse("2026-12-01T01:02:03.456Z"), List.of(), null, false, null,
                Map.of("zone", "r2"), Map.of());

        var back = Json.lenient().forType(NodeStatus.class).<NodeStatus>readValue(Json.write(relabelled));

        assertThat(back).isEqualTo(relabelled);
        // none of its own: not "not said", which would make a change after a reset start from zone=r2
        assertThat(back.labelsOfItsOwn()).isEmpty();
        var ownOnes = new NodeStatus("n1", capacity, NodeStatus.Load.idle(capacity), 2, List.of(), Set.of(),
                MountPolicy.none(), false, Instant.parse("2026-12-01T01:02:03.456Z"), List.of(), null, false, null,
                Map.of("zone", "r1"));
        assertThat(Json.write(ownOnes)).doesNotContain("ownLabels");
        assertThat(ownOnes.labelsOfItsOwn()).isEqualTo(Map.of("zone", "r1"));
    }

    @Test
    void anIdleNodeHasAllOfItsCapacityFree() {
        assertThat(NodeStatus.Load.idle(new NodeStatus.Capacity(4, 2048, 1)))
                .isEqualTo(new NodeStatus.Load(0, 4, 2048, 1));
    }
}
