package dev.hangar.cli;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import picocli.CommandLine;

/** A server that other machines reach needs API tokens unless it is asked to serve without them. */
class TokensOptionTest {
    @TempDir
    Path dir;

    private static TokensOption options(String... args) {
        return CommandLine.populateCommand(new TokensOption(), args);
    }

    @Test
    void aServerOnLoopbackNeedsNone() {
        assertThat(options().readFor("127.0.0.1")).isEmpty();
        assertThat(options().readFor("localhost")).isEmpty();
        assertThat(options().readFor("::1")).isEmpty();
    }

    @Test
    void anEmptyTokensFileIsRefusedNotTakenAsNone() {
        // HANGAR_TOKENS_FILE= (a unit's environment file that lost its value) said "tokens file : cannot be read"
        assertThatThrownBy(() -> options("--tokens", "").readFor("127.0.0.1"))
                .hasMessageStartingWith("--tokens (or HANGAR_TOKENS_FILE): is empty; name a tokens file");
    }

    @Test
    void aServerOtherMachinesReachIsRefusedWithoutTokensUnlessAskedToServeWithout() {
        assertThatThrownBy(() -> options().readFor("0.0.0.0"))
                .hasMessageStartingWith("--host 0.0.0.0: other machines reach a server there, so it needs API tokens (--tokens")
                .hasMessageContaining("--no-tokens");
        assertThat(options("--no-tokens").readFor("0.0.0.0")).isEmpty();
    }

    @Test
    void withTokensItServesOnAnyAddressAndTokensWithNoTokensIsRefused() throws Exception {
        Path tokens = Files.writeString(dir.resolve("tokens"), "team-a token-of-team-a-0123456789\n");

        assertThat(options("--tokens", tokens.toString()).readFor("0.0.0.0")).isPresent();
        assertThatThrownBy(() -> options("--tokens", tokens.toString(), "--no-tokens").readFor("127.0.0.1"))
                .hasMessageStartingWith("--no-tokens: and --tokens (or HANGAR_TOKENS_FILE) " + tokens + " is given too");
    }

    @Test
    void namesAServerWithoutTokensIsReachedByAreHostNamesAndNothingForOneWithTokens() throws Exception {
        assertThat(options("--no-tokens", "--allowed-host", "hangar.corp,.lab.example").readFor("0.0.0.0")).isEmpty();
        assertThat(options("--allowed-host", "hangar.internal").readFor("127.0.0.1")).as("behind a proxy on this host")
                .isEmpty();
        assertThatThrownBy(() -> options("--no-tokens", "--allowed-host", "hangar.corp:7070").readFor("0.0.0.0"))
                .hasMessageStartingWith("--allowed-host: 'hangar.corp:7070' is not a host name");
        Path tokens = Files.writeString(dir.resolve("tokens"), "team-a token-of-team-a-0123456789\n");
        assertThatThrownBy(() -> options("--tokens", tokens.toString(), "--allowed-host", "x.example").readFor("0.0.0.0"))
                .hasMessageStartingWith("--allowed-host: only a server without tokens checks the names");
        // the name it listens by is one it says its URL with
        assertThat(options("--allowed-host", "a.example").hostNamesFor("hangar-lan.corp"))
                .containsExactly("a.example", "hangar-lan.corp");
        assertThat(options().hostNamesFor("0.0.0.0")).isEmpty();
        assertThat(options().hostNamesFor("::")).isEmpty();
    }
}
