package dev.hangar.core.pool;

import static org.assertj.core.api.Assertions.assertThat;

import dev.hangar.core.job.FieldError;
import java.util.Set;
import org.junit.jupiter.api.Test;

class PoolSpecTest {
    private static PoolSpec prepared(Boolean snapshot) {
        return new PoolSpec("p", "gvisor", null, null, null, null, null, null, snapshot, "true");
    }

    @Test
    void aPrepareStepFillsFromASnapshotUnlessSnapshotIsSetFalseWhichIsRefusedNotOverruled() {
        assertThat(prepared(null).snapshot()).as("left out, it follows the prepare step").isTrue();
        assertThat(prepared(null).errors(Set.of("gvisor"))).isEmpty();
        assertThat(prepared(true).errors(Set.of("gvisor"))).isEmpty();

        // it used to be made with snapshot true, against what the request said
        assertThat(prepared(false).errors(Set.of("gvisor"))).extracting(FieldError::field).containsExactly("snapshot");
        assertThat(prepared(false).errors(Set.of("gvisor")).getFirst().reason()).contains("leave snapshot out, or set it true");
    }
}
