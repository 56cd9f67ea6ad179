package dev.hangar.server;

import static org.assertj.core.api.Assertions.assertThat;

import dev.hangar.core.queue.JobQuery;
import dev.hangar.queue.sqlite.SqliteQueueBackend;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Clock;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** A request the client broke (a body cut short, a header that cannot be parsed) gets a 400 naming it, and no job. */
class BrokenBodyApiTest {
    @TempDir
    Path dir;
    private SqliteQueueBackend queue;
    private HangarServer server;

    @BeforeEach
    void start() {
        queue = SqliteQueueBackend.open(dir.resolve("hangar.db"), Clock.systemUTC());
        server = new HangarServer(queue, new TestNode()).start("127.0.0.1", 0);
    }

    @AfterEach
    void stop() {
        server.close();
        queue.close();
    }

    /** What the server answers to this request, sent as it is, head and all. */
    private String exchange(String request) throws Exception {
        try (var socket = new Socket("127.0.0.1", server.port())) {
            socket.setSoTimeout(20_000);
            socket.getOutputStream().write(request.getBytes(StandardCharsets.US_ASCII));
            socket.shutdownOutput(); // nothing more to come
            return new String(socket.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        }
    }

    @Test
    void aBodyCutShortOfItsLengthIsRefusedNamingTheBody() throws Exception {
        // 20 of the 100 bytes said
        String answer = exchange("POST /v1/jobs HTTP/1.1\r\nHost: localhost\r\nContent-Type: application/json\r\n"
                + "Content-Length: 100\r\nConnection: close\r\n\r\n{\"command\": [\"echo\"");
        assertThat(answer).startsWith("HTTP/1.1 400 ").contains("application/problem+json")
                .contains("\"field\":\"body\"").contains("could not be read whole");
        assertThat(queue.list(JobQuery.all(10)).jobs()).isEmpty();
    }

    @Test
    void aContentTypeWhoseCharsetCannotBeParsedIsRefusedNamingTheHeaderOnEveryRoute() throws Exception {
        for (String request : java.util.List.of("GET /v1/jobs", "GET /healthz", "POST /v1/jobs")) {
            String answer = exchange(request + " HTTP/1.1\r\nHost: localhost\r\nContent-Type: x; charset\r\n"
                    + "Content-Length: 2\r\nConnection: close\r\n\r\n{}");
            assertThat(answer).as(request).startsWith("HTTP/1.1 400 ").contains("application/problem+json")
                    .contains("\"field\":\"Content-Type\"").contains("its charset parameter cannot be read");
        }
        assertThat(queue.list(JobQuery.all(10)).jobs()).isEmpty();
    }
}
