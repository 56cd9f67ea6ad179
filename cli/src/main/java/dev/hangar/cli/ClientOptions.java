package dev.hangar.cli;

import dev.hangar.client.HangarClient;
import java.net.URI;
import picocli.CommandLine.Option;

/** Where the server is, and how to print: shared by every command that talks to a server. */
final class ClientOptions {
    @Option(names = "--url", description = "Hangar server URL (default: $HANGAR_URL, else ${DEFAULT-VALUE})",
            defaultValue = "${env:HANGAR_URL:-" + HangarClient.DEFAULT_URL + "}")
    URI url;

    @Option(names = "--json", description = "Print JSON for scripts instead of a table")
    boolean json;

    HangarClient client() {
        return new HangarClient(url);
    }
}
