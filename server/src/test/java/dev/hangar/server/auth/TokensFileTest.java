package dev.hangar.server.auth;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.time.Duration;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class TokensFileTest {
    private static final String A = "team-a-token-of-twenty-chars";
    private static final String B = "team-b-token-of-twenty-chars";
    private static final Caller TEAM_A = new Caller("team-a", false);
    private static final Caller TEAM_B = new Caller("team-b", false);

    @TempDir
    Path dir;

    /** Checks at every lookup, so that a test need not wait. */
    private TokensFile open(Path file) {
        return TokensFile.open(file, Duration.ZERO);
    }

    /** Writes the file as an operator should: a new file renamed over the old one. */
    private Path replace(Path file, String text) throws Exception {
        Path next = Files.writeString(dir.resolve("tokens.next"), text);
        return Files.move(next, file, StandardCopyOption.REPLACE_EXISTING, StandardCopyOption.ATOMIC_MOVE);
    }

    @Test
    void aTokenAddedOrRevokedInTheFileIsInForceWithoutARestart() throws Exception {
        Path file = Files.writeString(dir.resolve("tokens"), "team-a " + A + "\n");
        TokensFile tokens = open(file);
        assertThat(tokens.caller(A)).hasValue(TEAM_A);
        assertThat(tokens.caller(B)).isEmpty();

        replace(file, "team-b " + B + "\n");
        assertThat(tokens.caller(A)).as("revoked").isEmpty();
        assertThat(tokens.caller(B)).as("added").hasValue(TEAM_B);

        Files.writeString(file, "team-b " + B + "\nteam-a " + A + "\n"); // written in place
        assertThat(tokens.caller(A)).hasValue(TEAM_A);
    }

    @Test
    void aChangedFileThatIsBadOrGoneLeavesTheTokensReadBeforeInForce() throws Exception {
        Path file = Files.writeString(dir.resolve("tokens"), "team-a " + A + "\n");
        TokensFile tokens = open(file);

        replace(file, "team-a short\nteam-b " + B + "\n");
        assertThat(tokens.caller(A)).hasValue(TEAM_A);
        assertThat(tokens.caller(B)).as("not one line of a bad file is taken").isEmpty();

        replace(file, "# every token revoked by mistake\n");
        assertThat(tokens.caller(A)).hasValue(TEAM_A);

        Files.delete(file);
        assertThat(tokens.caller(A)).hasValue(TEAM_A);

        Files.writeString(file, "team-b " + B + "\n");
        assertThat(tokens.caller(A)).isEmpty();
        assertThat(tokens.caller(B)).hasValue(TEAM_B);
    }

    @Test
    void theFileIsLookedAtOncePerInterval() throws Exception {
        Path file = Files.writeString(dir.resolve("tokens"), "team-a " + A + "\n");
        TokensFile tokens = TokensFile.open(file, Duration.ofHours(1));
        replace(file, "team-b " + B + "\n");
        assertThat(tokens.caller(A)).as("not looked at again within the hour").hasValue(TEAM_A);
    }

    @Test
    void aBadFileAtStartIsRefusedNamingItsLine() throws Exception {
        Path file = Files.writeString(dir.resolve("tokens"), "team-a " + A + "\nteam-b short\n");
        assertThatThrownBy(() -> open(file)).isInstanceOf(IllegalArgumentException.class).hasMessageContaining("line 2");
    }
}
