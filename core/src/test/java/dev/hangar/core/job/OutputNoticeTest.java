package dev.hangar.core.job;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.charset.StandardCharsets;
import org.junit.jupiter.api.Test;

class OutputNoticeTest {
    @Test
    void aNoticeIsOneMarkedLineAndNothingElse() {
        assertThat(OutputNotice.of("making image debian")).isEqualTo("[hangar: making image debian]\n");
        assertThat(OutputNotice.is(bytes(OutputNotice.of("making image debian")))).isTrue();
        assertThat(OutputNotice.is(bytes("[hangar: a]\nthe job's own line\n"))).as("with the job's output after it").isFalse();
        assertThat(OutputNotice.is(bytes("[hangar: a]"))).as("no line's end").isFalse();
        assertThat(OutputNotice.is(bytes("the job's [hangar: a]\n"))).isFalse();
    }

    private static byte[] bytes(String text) {
        return text.getBytes(StandardCharsets.UTF_8);
    }
}
