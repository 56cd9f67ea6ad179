package dev.hangar.server.auth;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class ApiTokensTest {
    private static final String TOKEN = "a-token-of-twenty-chars-or-more";

    @TempDir
    Path dir;

    private ApiTokens read(String text) throws Exception {
        return ApiTokens.read(Files.writeString(dir.resolve("tokens"), text));
    }

    @Test
    void aTokenIsKnownWrittenAsItselfOrAsItsHash() throws Exception {
        String made = ApiTokens.newToken();
        ApiTokens tokens = read("# who\n\nteam-a " + TOKEN + "\n  ops " + ApiTokens.hashed(made) + " admin  \n");
        assertThat(tokens.caller(TOKEN)).hasValue(new Caller("team-a", false));
        assertThat(tokens.caller(made)).hasValue(new Caller("ops", true));
        assertThat(tokens.caller(ApiTokens.hashed(made))).as("the hash is not the token").isEmpty();
        assertThat(tokens.caller("")).isEmpty();
    }

    @Test
    void eachBadLineIsNamedWithWhatIsWrong() {
        assertBad("team-a\n", "line 1: must be TENANT TOKEN");
        assertBad("# c\nteam-a " + TOKEN + " root\n", "line 2: must be TENANT TOKEN");
        assertBad("Team_A " + TOKEN + "\n", "line 1: its first word, the tenant, must be 1 to 63 lower-case");
        String made = "Zq3_Xw9-Lk2Pm8Rt5Vb7Nc1Hd4";
        assertThatThrownBy(() -> read(made + " team-a\n")).as("a token written first is not shown")
                .hasMessageContaining("is it the token?").satisfies(e -> assertThat(e.getMessage()).doesNotContain(made));
        assertBad("team-a short\n", "line 1: token is shorter than 20 characters");
        assertBad("team-a sha256:abc\n", "line 1: a sha256: token must be 64 lower-case hex digits");
        assertBad("team-a " + TOKEN + "\nteam-b " + ApiTokens.hashed(TOKEN) + "\n", "line 2: this token is given already, to tenant team-a");
        assertBad("# nothing\n", "has no token");
    }

    @Test
    void aMissingFileIsNamed() {
        assertThatThrownBy(() -> ApiTokens.read(dir.resolve("absent"))).hasMessageContaining("absent: cannot be read");
    }

    @Test
    void newTokensDiffer() {
        assertThat(ApiTokens.newToken()).isNotEqualTo(ApiTokens.newToken()).hasSizeGreaterThanOrEqualTo(ApiTokens.MIN_TOKEN_CHARS);
    }

    private void assertBad(String text, String message) {
        assertThatThrownBy(() -> read(text)).isInstanceOf(IllegalArgumentException.class).hasMessageContaining(message);
    }
}
