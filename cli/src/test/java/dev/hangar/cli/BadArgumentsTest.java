package dev.hangar.cli;

import static org.assertj.core.api.Assertions.assertThat;

import org.junit.jupiter.api.Test;

/** A mistyped command line gets the one line that says what is wrong, a near miss if any, and where the help is. */
class BadArgumentsTest {
    private int exitCode;

    private String errorOf(String... args) {
        return StandardError.whileRunning(() -> exitCode = Main.run(args));
    }

    @Test
    void aBadValueIsNamedWithoutThePageOfUsageAfterIt() {
        String err = errorOf("run", "--timeout", "1x", "--", "true");

        assertThat(exitCode).isEqualTo(2);
        assertThat(err).startsWith("hangar run: Invalid value for option '--timeout': '1x': not a number of seconds")
                .contains("See 'hangar run --help'.").doesNotContain("Usage:");
        assertThat(err.lines()).as(err).hasSize(2);
    }

    @Test
    void aMistypedOptionGetsTheNearestOnes() {
        String err = errorOf("run", "--memory-mb", "64", "--", "true");

        assertThat(exitCode).isEqualTo(2);
        assertThat(err).startsWith("hangar run: Unknown option: '--memory-mb'").contains("Possible solutions: --memory")
                .contains("See 'hangar run --help'.").doesNotContain("Usage:");
    }

    @Test
    void aMistypedCommandIsNamedAtTheTop() {
        String err = errorOf("nodez");

        assertThat(exitCode).isEqualTo(2);
        assertThat(err).startsWith("hangar: Unmatched argument at index 0: 'nodez'").contains("nodes")
                .contains("See 'hangar --help'.");
    }

    @Test
    void aMissingArgumentOfASubcommandNamesIt() {
        String err = errorOf("nodes", "label");

        assertThat(exitCode).isEqualTo(2);
        assertThat(err).startsWith("hangar nodes label: Missing required parameter")
                .contains("See 'hangar nodes label --help'.").doesNotContain("Usage:");
    }

    @Test
    void aTokenNoHeaderCanCarryIsRefusedNamingTheOptionAndNotShown() {
        // the two lines 'hangar token' prints, taken whole into HANGAR_TOKEN
        String err = errorOf("jobs", "--url", "http://127.0.0.1:9", "--token", "token: s3cr3t\ntokens file line: a x");

        assertThat(exitCode).isEqualTo(2);
        assertThat(err).startsWith("hangar: --token (or HANGAR_TOKEN): holds a space, a line break").doesNotContain("s3cr3t");
    }

    @Test
    void aRefusalThatNamesItsCommandIsNotPrefixedAgain() {
        String err = errorOf("nodes", "label", "--url", "http://127.0.0.1:9", "gpu-07", "=x");

        assertThat(exitCode).isEqualTo(2);
        assertThat(err).startsWith("hangar nodes label =x: a label's key must be");
    }
}
