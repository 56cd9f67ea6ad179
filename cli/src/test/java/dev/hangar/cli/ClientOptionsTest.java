package dev.hangar.cli;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.hangar.client.HangarClient;
import java.net.URI;
import org.junit.jupiter.api.Test;
import picocli.CommandLine;

/** Which server a command asks, from --url or HANGAR_URL. */
class ClientOptionsTest {
    private static ClientOptions options(String... args) {
        return CommandLine.populateCommand(new ClientOptions(), args);
    }

    @Test
    void anEmptyUrlIsNoneGivenAndTheDefaultServerIsAsked() {
        // HANGAR_URL= (set empty, as a script clears it) was refused as a bad --url: "got ''"
        assertThat(options("--url", "").client().url()).isEqualTo(URI.create(HangarClient.DEFAULT_URL));
        assertThat(options("--url", "http://10.0.0.7:7070").client().url()).isEqualTo(URI.create("http://10.0.0.7:7070"));
        assertThatThrownBy(() -> options("--url", "ftp://x").client())
                .hasMessageStartingWith("--url (or HANGAR_URL): must be an http:// or https:// address");
    }
}
