package dev.hangar.cli;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.nio.charset.StandardCharsets;
import org.junit.jupiter.api.Test;

class SpecFileTest {
    @Test
    void standardInputThatIsNotUtf8IsRefusedNamingItRatherThanChangedIntoReplacementCharacters() {
        byte[] latin1 = "{\"command\":[\"echo\",\"\u00e9\"]}".getBytes(StandardCharsets.ISO_8859_1);
        assertThatThrownBy(() -> SpecFile.utf8(latin1, "--file: standard input"))
                .isInstanceOf(IllegalArgumentException.class).hasMessage("--file: standard input is not UTF-8 text");
        assertThat(SpecFile.utf8("\u00e9".getBytes(StandardCharsets.UTF_8), "--stdin")).isEqualTo("\u00e9");
    }
}
