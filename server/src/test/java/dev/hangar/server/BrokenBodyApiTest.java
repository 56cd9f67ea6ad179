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

/** A submit whose body is cut short is the client's bad input: a 400 naming the body, and no job. */
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

    @Test
    void aBodyCutShortOfItsLengthIsRefusedNamingTheBody() throws Exception {
        String answer;
        try (var socket = new Socket("127.0.0.1", server.port())) {
            socket.setSoTimeout(20_000);
            socket.getOutputStream().write(("POST /v1/jobs HTTP/1.1\r\nHost: localhost\r\nContent-Type: application/json\r\n"
                    + "Content-Length: 100\r\nConnection: close\r\n\r\n{\"command\": [\"echo\"").getBytes(StandardCharsets.US_ASCII));
            socket.shutdownOutput(); // 20 of the 100 bytes said, and no more to come
            answer = new String(socket.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        }
        assertThat(answer).startsWith("HTTP/1.1 400 ").contains("application/problem+json")
                .contains("\"field\":\"body\"").contains("could not be read whole");
        assertThat(queue.list(JobQuery.all(10)).jobs()).isEmpty();
    }
}
