package dev.hangar.core.job;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

class NodeLabelsTest {
    @Test
    void labelsOnACommandLineAreKeyEqualsValueEachKeyOnce() {
        assertThat(NodeLabels.parseAll("--label", List.of("zone=r1", "gpu-model=a100", "example.com/rack=7")))
                .containsExactly(Map.entry("example.com/rack", "7"), Map.entry("gpu-model", "a100"), Map.entry("zone", "r1"));
        assertThatThrownBy(() -> NodeLabels.parseAll("--label", List.of("gpu")))
                .hasMessage("--label: 'gpu' is not KEY=VALUE");
        assertThatThrownBy(() -> NodeLabels.parseAll("--label", List.of("=a100")))
                .hasMessage("--label =a100: " + NodeLabels.KEY_RULE);
        assertThatThrownBy(() -> NodeLabels.parseAll("--label", List.of("gpu=")))
                .hasMessage("--label gpu=: " + NodeLabels.VALUE_RULE);
        assertThatThrownBy(() -> NodeLabels.parseAll("--node-selector", List.of("gpu=a=b")))
                .hasMessage("--node-selector gpu=a=b: " + NodeLabels.VALUE_RULE);
        assertThatThrownBy(() -> NodeLabels.parseAll("--label", List.of("zone=r1", "zone=r2")))
                .hasMessage("--label: zone is given twice");
    }

    @Test
    void aNodeMatchesASelectorWhenItHasEachOfItsLabelsWithThatValue() {
        var node = Map.of("gpu-model", "a100", "zone", "r1");
        assertThat(NodeLabels.matches(Map.of(), node)).isTrue();
        assertThat(NodeLabels.matches(Map.of(), Map.of())).isTrue();
        assertThat(NodeLabels.matches(Map.of("zone", "r1"), node)).isTrue();
        assertThat(NodeLabels.matches(Map.of("zone", "r1", "gpu-model", "a100"), node)).isTrue();
        assertThat(NodeLabels.matches(Map.of("zone", "r2"), node)).isFalse();
        assertThat(NodeLabels.matches(Map.of("zone", "r1", "rack", "7"), node)).isFalse();
    }

    @Test
    void labelsAreStoredAndShownAsPairsByKey() {
        assertThat(NodeLabels.pairs(Map.of("zone", "r1", "gpu-model", "a100"))).containsExactly("gpu-model=a100", "zone=r1");
        assertThat(NodeLabels.shown(Map.of("zone", "r1", "gpu-model", "a100"))).isEqualTo("gpu-model=a100,zone=r1");
        assertThat(NodeLabels.shown(Map.of())).isEqualTo("-");
    }

    @Test
    void tooManyLabelsAreRefusedAsOne() {
        var many = new java.util.HashMap<String, String>();
        for (int i = 0; i <= NodeLabels.MAX; i++) {
            many.put("k" + i, "v");
        }
        assertThat(NodeLabels.errors("nodeSelector", many)).containsExactly(
                new FieldError("nodeSelector", "has 33 labels; at most 32 are allowed"));
    }
}
