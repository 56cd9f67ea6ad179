package dev.hangar.server;

import static org.assertj.core.api.Assertions.assertThat;

import dev.hangar.queue.sqlite.SqliteQueueBackend;
import dev.hangar.server.auth.Caller;
import dev.hangar.server.auth.TokenLookup;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Clock;
import java.util.Optional;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** A server without tokens on loopback is out of reach of a web page that points a name of its own at it (DNS rebinding). */
class LoopbackHostCheckTest {
    @TempDir
    Path dir;
    private SqliteQueueBackend queue;
    private HangarServer server;

    @BeforeEach
    void open() {
        queue = SqliteQueueBackend.open(dir.resolve("hangar.db"), Clock.systemUTC());
    }

    @AfterEach
    void close() {
        if (server != null) {
            server.close();
        }
        queue.close();
    }

    @Test
    void aServerWithoutTokensOnLoopbackAnswersLoopbackNamesAloneAndRefusesAnotherNamingTheHostHeader() throws Exception {
        server = new HangarServer(queue, new TestNode()).start("127.0.0.1", 0);
        int port = server.port();

        String refused = get("/v1/jobs", "rebound.example.com:" + port);
        assertThat(refused).startsWith("HTTP/1.1 403 ").contains("\"field\":\"Host\"")
                .contains("'rebound.example.com:" + port + "' is not a name of this server");
        assertThat(get("/", "rebound.example.com")).as("the dashboard too").startsWith("HTTP/1.1 403 ");
        for (String host : new String[] {"localhost:" + port, "127.0.0.1:" + port, "[::1]:" + port, "127.0.0.1",
                "LOCALHOST", "hangar.localhost:" + port}) {
            assertThat(get("/v1/jobs", host)).as(host).startsWith("HTTP/1.1 200 ");
        }
        assertThat(get("/v1/jobs", "127.0.0.1:" + port)).as("no page may frame it").contains("X-Frame-Options: DENY");
    }

    @Test
    void aServerWithTokensTakesAnyNameAndOneOnEveryAddressChecksWhatComesOverLoopback() throws Exception {
        TokenLookup none = token -> Optional.<Caller>empty();
        server = new HangarServer(queue, new TestNode(), Optional.of(none)).start("127.0.0.1", 0);
        assertThat(get("/v1/jobs", "hangar.example.com")).as("a page cannot send the token").startsWith("HTTP/1.1 401 ");
        server.close();

        server = new HangarServer(queue, new TestNode()).start("0.0.0.0", 0);
        assertThat(get("/v1/jobs", "rebound.example.com")).as("a page's name, over loopback").startsWith("HTTP/1.1 403 ");
        String ownName = java.net.InetAddress.getLocalHost().getHostName();
        assertThat(get("/v1/jobs", ownName + ":" + server.port())).as("this machine's own name").startsWith("HTTP/1.1 200 ");
    }

    @Test
    void theNameOfAHostHeaderIsWithoutItsPortAndBrackets() {
        assertThat(LoopbackHostCheck.hostName("LocalHost:7070")).isEqualTo("localhost");
        assertThat(LoopbackHostCheck.hostName("[::1]:7070")).isEqualTo("::1");
        assertThat(LoopbackHostCheck.hostName("127.0.0.2")).isEqualTo("127.0.0.2");
        assertThat(LoopbackHostCheck.isLoopbackName("127.0.0.2")).isTrue();
        assertThat(LoopbackHostCheck.isLoopbackName("::1")).isTrue();
        assertThat(LoopbackHostCheck.isLoopbackName("10.0.0.1")).isFalse();
        assertThat(LoopbackHostCheck.isLoopbackName("localhost.example.com")).isFalse();
    }

    private String get(String path, String host) throws Exception {
        try (var socket = new Socket("127.0.0.1", server.port())) {
            socket.setSoTimeout(20_000);
            socket.getOutputStream().write(("GET " + path + " HTTP/1.1\r\nHost: " + host + "\r\nConnection: close\r\n\r\n")
                    .getBytes(StandardCharsets.US_ASCII));
            return new String(socket.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        }
    }
}
