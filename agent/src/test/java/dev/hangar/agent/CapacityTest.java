package dev.hangar.agent;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.hangar.core.job.MountPolicy;
import dev.hangar.core.job.Resources;
import java.time.Duration;
import java.util.List;
import org.junit.jupiter.api.Test;

class CapacityTest {
    private final AgentConfig config = new AgentConfig("n", 4, 1024, List.of("0", "1", "2"), 3, Duration.ofSeconds(30),
            Duration.ofMillis(500), false, MountPolicy.none(), java.util.Set.of());

    private static Resources gpus(int n) {
        return new Resources(1.0, 256L, null, null, n, null);
    }

    @Test
    void eachJobGetsItsOwnGpusAndReturnsThem() {
        var capacity = new Capacity(config);
        List<String> first = capacity.reserve(gpus(2));
        List<String> second = capacity.reserve(gpus(1));
        assertThat(first).containsExactly("0", "1");
        assertThat(second).containsExactly("2");
        assertThat(capacity.request("n", Duration.ofSeconds(1)).freeGpus()).isZero();
        assertThatThrownBy(() -> capacity.reserve(gpus(1))).hasMessageContaining("0 free");
        capacity.release(gpus(2), first);
        assertThat(capacity.reserve(gpus(1))).containsExactly("0");
    }

    @Test
    void theLeaseRequestOffersWhatIsLeft() {
        var capacity = new Capacity(config);
        capacity.reserve(gpus(0));
        var request = capacity.request("n", Duration.ofSeconds(1));
        assertThat(request.freeCpus()).isEqualTo(3.0);
        assertThat(request.freeMemoryMb()).isEqualTo(768);
        assertThat(request.freeGpus()).isEqualTo(3);
        capacity.reserve(gpus(0));
        capacity.reserve(gpus(0));
        assertThat(capacity.hasRoom()).as("maxJobs reached").isFalse();
    }
}
