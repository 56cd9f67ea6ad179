package dev.hangar.cli;

import static org.assertj.core.api.Assertions.assertThat;

import com.sun.net.httpserver.HttpServer;
import dev.hangar.core.json.Json;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.OutputStream;
import java.io.PrintStream;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/** {@code hangar jobs} against a stand-in for the server that answers a page as the API does. */
class JobsCommandTest {
    private static final String PAGE = """
            {"jobs": [
              {"id": "j-stranded", "state": "QUEUED", "spec": {"command": ["nvidia-smi"]}, "timings": {},
               "waiting": "no node that is up can run it: gpus: none (test)"},
              {"id": "j-runnable", "state": "QUEUED", "spec": {"command": ["true"]}, "timings": {}}
            ]}""";

    private HttpServer server;

    @BeforeEach
    void serve() throws IOException {
        server = HttpServer.create(new InetSocketAddress(InetAddress.getLoopbackAddress(), 0), 0, "/v1/jobs", exchange -> {
            byte[] body = PAGE.getBytes(StandardCharsets.UTF_8);
            exchange.getResponseHeaders().set("Content-Type", "application/json");
            exchange.sendResponseHeaders(200, body.length);
            try (OutputStream out = exchange.getResponseBody()) {
                out.write(body);
            }
        });
        server.start();
    }

    @AfterEach
    void stopServing() {
        server.stop(0);
    }

    /** What the command printed on standard output, and its exit code. */
    private String jobs(String... options) {
        PrintStream was = System.out;
        var printed = new ByteArrayOutputStream();
        System.setOut(new PrintStream(printed, true, StandardCharsets.UTF_8));
        try {
            String[] args = new String[options.length + 3];
            args[0] = "jobs";
            args[1] = "--url";
            args[2] = "http://127.0.0.1:" + server.getAddress().getPort();
            System.arraycopy(options, 0, args, 3, options.length);
            assertThat(Main.run(args)).isZero();
        } finally {
            System.setOut(was);
        }
        return printed.toString(StandardCharsets.UTF_8);
    }

    @Test
    void aQueuedJobNoNodeUpCanRunIsMarkedAndItsReasonPrintedUnderTheTable() {
        String printed = jobs();

        assertThat(printed).containsPattern("j-stranded +QUEUED \\(waits\\) ");
        assertThat(printed).containsPattern("j-runnable +QUEUED +- ");
        assertThat(printed).contains("j-stranded waits: no node that is up can run it: gpus: none (test)");
        assertThat(printed).doesNotContain("j-runnable waits");
    }

    @Test
    void itsJsonIsTheApisWithWaiting() throws Exception {
        var page = Json.mapper().readTree(jobs("--json"));

        assertThat(page.path("jobs").get(0).path("waiting").asText()).isEqualTo("no node that is up can run it: gpus: none (test)");
        assertThat(page.path("jobs").get(1).has("waiting")).isFalse();
        assertThat(page.has("nextCursor")).isFalse();
    }
}
