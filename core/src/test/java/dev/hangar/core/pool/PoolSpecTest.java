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

    @Test
    void aPrepareStepHoldingANulOrALoneSurrogateIsRefusedNamingPrepare() {
        var withNul = new PoolSpec("p", "gvisor", null, null, null, null, null, null, null, "load\0x");
        var withSurrogate = new PoolSpec("p", "gvisor", null, null, null, null, null, null, null, "echo \ud800");

        // each was taken, and every make of the template failed, naming a field of its launcher or running 'echo ?'
        assertThat(withNul.errors(Set.of("gvisor"))).singleElement()
                .isEqualTo(new FieldError("prepare", "must not contain a NUL character"));
        assertThat(withSurrogate.errors(Set.of("gvisor"))).singleElement().extracting(FieldError::field).isEqualTo("prepare");
        assertThat(new PoolSpec("p", "gvisor", null, null, null, null, null, null, null, "echo ✓ 😀").errors(Set.of("gvisor")))
                .isEmpty();
    }
}
