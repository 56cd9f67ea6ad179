package dev.hangar.runtime.podman;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.hangar.core.runtime.OutputSink;
import dev.hangar.runtime.testkit.OutputCollector;
import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.io.EOFException;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.StandardProtocolFamily;
import java.net.UnixDomainSocketAddress;
import java.nio.channels.Channels;
import java.nio.channels.ServerSocketChannel;
import java.nio.channels.SocketChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The HTTP subset against a scripted server on a Unix socket. */
class UnixHttpTest {
    @TempDir
    Path dir;

    private ServerSocketChannel server;
    private int servers;

    @AfterEach
    void close() throws IOException {
        if (server != null) {
            server.close();
        }
    }

    /** Serves one connection: hands the request head and body to {@code handler}, which writes the answer. */
    private interface Handler {
        void handle(String head, InputStream in, OutputStream out) throws IOException;
    }

    private UnixHttp serve(Handler handler) throws IOException {
        Path socket = dir.resolve("s" + (++servers) + ".sock");
        server = ServerSocketChannel.open(StandardProtocolFamily.UNIX);
        server.bind(UnixDomainSocketAddress.of(socket));
        Thread.ofVirtual().start(() -> {
            try (SocketChannel client = server.accept()) {
                InputStream in = Channels.newInputStream(client);
                var head = new ByteArrayOutputStream();
                while (!head.toString(StandardCharsets.ISO_8859_1).endsWith("\r\n\r\n")) {
                    head.write(in.read());
                }
                handler.handle(head.toString(StandardCharsets.ISO_8859_1), in, Channels.newOutputStream(client));
            } catch (IOException ignored) {
                // the test sees what the client got
            }
        });
        return new UnixHttp(socket);
    }

    private static byte[] ascii(String s) {
        return s.getBytes(StandardCharsets.ISO_8859_1);
    }

    @Test
    void aBodyByLengthAndTheRequestAsWritten() throws Exception {
        var seen = new CompletableFuture<String>();
        UnixHttp http = serve((head, in, out) -> {
            seen.complete(head + new String(in.readNBytes(7), StandardCharsets.UTF_8));
            out.write(ascii("HTTP/1.1 201 Created\r\nContent-Type: application/json\r\nContent-Length: 11\r\n\r\n{\"Id\":\"x\"}\nleftover"));
        });
        UnixHttp.Response response = http.send("POST", "/v4.0.0/libpod/containers/create", "application/json",
                ascii("{\"a\":1}"), Duration.ofSeconds(5));
        assertThat(response.status()).isEqualTo(201);
        assertThat(response.text()).isEqualTo("{\"Id\":\"x\"}\n");
        assertThat(seen.get(5, TimeUnit.SECONDS)).startsWith("POST /v4.0.0/libpod/containers/create HTTP/1.1\r\n")
                .contains("Content-Length: 7\r\n").contains("Content-Type: application/json\r\n").endsWith("\r\n\r\n{\"a\":1}");
    }

    @Test
    void aChunkedBody() throws Exception {
        UnixHttp http = serve((head, in, out) -> out.write(ascii(
                "HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n5\r\nhello\r\n7;ext=1\r\n, world\r\n0\r\n\r\n")));
        assertThat(http.send("GET", "/x", null, null, Duration.ofSeconds(5)).text()).isEqualTo("hello, world");
    }

    @Test
    void aBodyToTheEndOfTheStreamAndNoBodyFor204() throws Exception {
        UnixHttp http = serve((head, in, out) -> out.write(ascii("HTTP/1.1 200 OK\r\n\r\nuntil close")));
        assertThat(http.send("GET", "/x", null, null, Duration.ofSeconds(5)).text()).isEqualTo("until close");
        close();
        UnixHttp empty = serve((head, in, out) -> out.write(ascii("HTTP/1.1 204 No Content\r\n\r\n")));
        UnixHttp.Response response = empty.send("POST", "/x", null, null, Duration.ofSeconds(5));
        assertThat(response.status()).isEqualTo(204);
        assertThat(response.body()).isEmpty();
    }

    @Test
    void aStreamedRequestGoesChunked() throws Exception {
        var body = new CompletableFuture<String>();
        UnixHttp http = serve((head, in, out) -> {
            body.complete(head + new String(in.readNBytes(28), StandardCharsets.ISO_8859_1));
            out.write(ascii("HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nok"));
        });
        UnixHttp.Response response = http.stream("POST", "/import", "application/x-tar", out -> {
            out.write(ascii("abc"));
            out.write(ascii("0123456789"));
        }, Duration.ofSeconds(5));
        assertThat(response.text()).isEqualTo("ok");
        assertThat(body.get(5, TimeUnit.SECONDS)).contains("Transfer-Encoding: chunked\r\n")
                .endsWith("\r\n\r\n3\r\nabc\r\na\r\n0123456789\r\n0\r\n\r\n");
    }

    @Test
    void anUpgradedConnectionCarriesBothWaysAndHalfCloses() throws Exception {
        UnixHttp http = serve((head, in, out) -> {
            in.readNBytes(2); // the JSON body "{}"
            out.write(ascii("HTTP/1.1 101 UPGRADED\r\nConnection: Upgrade\r\nUpgrade: tcp\r\n\r\n"));
            try {
                Thread.sleep(600); // past the deadline of the answer: the stream has none
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
            byte[] stdin = in.readAllBytes(); // until the client half-closes
            out.write(frame(1, stdin));
            out.write(frame(2, ascii("err")));
        });
        try (UnixHttp.Upgraded upgraded = http.upgrade("POST", "/exec/1/start", ascii("{}"), Duration.ofMillis(300))) {
            assertThat(upgraded.refusal()).isNull();
            assertThat(upgraded.switched()).isTrue();
            upgraded.output().write(ascii("stdin bytes"));
            upgraded.shutdownOutput();
            var output = new OutputCollector();
            PodmanProcess.demultiplex(upgraded.input(), output);
            assertThat(output.stdoutText()).isEqualTo("stdin bytes");
            assertThat(output.stderrText()).isEqualTo("err");
        }
    }

    @Test
    void anUpgradeThatIsRefusedIsReadWhole() throws Exception {
        UnixHttp http = serve((head, in, out) -> out.write(ascii(
                "HTTP/1.1 409 Conflict\r\nContent-Length: 31\r\n\r\n{\"message\":\"container stopped\"}")));
        UnixHttp.Upgraded upgraded = http.upgrade("POST", "/exec/1/start", ascii("{}"), Duration.ofSeconds(5));
        assertThat(upgraded.refusal().status()).isEqualTo(409);
        assertThat(upgraded.refusal().text()).contains("container stopped");
    }

    @Test
    void aRefusalAnsweredFromTheHeadAloneIsReadEveryTimeNotABrokenPipe() throws Exception {
        for (int i = 0; i < 200; i++) { // the server closes at once, its unread body with it: a race each time
            UnixHttp http = serve((head, in, out) -> out.write(ascii(
                    "HTTP/1.1 404 Not Found\r\nContent-Length: 28\r\n\r\n{\"message\":\"no such exec\"}  ")));
            UnixHttp.Upgraded upgraded = http.upgrade("POST", "/exec/" + i + "/start", ascii("{\"Detach\":false}"),
                    Duration.ofSeconds(5));
            assertThat(upgraded.refusal().status()).as("try %d", i).isEqualTo(404);
            server.close();
        }
    }

    @Test
    void anUpgradeThatIsNeverAnsweredIsCutOffAtItsDeadline() throws Exception {
        UnixHttp http = serveNothing();
        long begin = System.nanoTime();
        assertThatThrownBy(() -> http.upgrade("POST", "/exec/1/start", ascii("{}"), Duration.ofMillis(300)))
                .isInstanceOf(IOException.class).hasMessage("podman did not answer POST /exec/1/start within 300 ms");
        assertThat(Duration.ofNanos(System.nanoTime() - begin)).isLessThan(Duration.ofSeconds(5));
    }

    /** A server that takes the request and answers nothing for ten seconds. */
    private UnixHttp serveNothing() throws IOException {
        return serve((head, in, out) -> {
            try {
                Thread.sleep(10_000);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
        });
    }

    @Test
    void nobodyListeningIsAConnectFailure() {
        var http = new UnixHttp(dir.resolve("nobody.sock"));
        assertThatThrownBy(() -> http.send("GET", "/_ping", null, null, Duration.ofSeconds(1)))
                .isInstanceOf(UnixHttp.ConnectFailed.class);
    }

    @Test
    void aServerThatHangsIsCutOffAtTheDeadline() throws Exception {
        UnixHttp http = serveNothing();
        long begin = System.nanoTime();
        assertThatThrownBy(() -> http.send("GET", "/x", null, null, Duration.ofMillis(300))).isInstanceOf(IOException.class)
                .hasMessage("podman did not answer GET /x within 300 ms");
        assertThat(Duration.ofNanos(System.nanoTime() - begin)).isLessThan(Duration.ofSeconds(5));
    }

    static byte[] frame(int stream, byte[] payload) {
        var out = new ByteArrayOutputStream();
        out.write(stream);
        out.writeBytes(new byte[] {0, 0, 0});
        out.writeBytes(java.nio.ByteBuffer.allocate(4).putInt(payload.length).array());
        out.writeBytes(payload);
        return out.toByteArray();
    }

    @Test
    void framesAreSplitByStreamWhateverTheirSize() throws Exception {
        byte[] big = new byte[100_000];
        java.util.Arrays.fill(big, (byte) 'x');
        var all = new ByteArrayOutputStream();
        all.writeBytes(frame(1, ascii("out1 ")));
        all.writeBytes(frame(2, ascii("err1")));
        all.writeBytes(frame(1, big));
        all.writeBytes(frame(0, ascii("ignored")));
        all.writeBytes(frame(1, new byte[0]));
        var output = new OutputCollector();
        PodmanProcess.demultiplex(new ByteArrayInputStream(all.toByteArray()), output);
        assertThat(output.totalBytes(OutputSink.Stream.STDOUT)).isEqualTo(5 + 100_000);
        assertThat(output.stderrText()).isEqualTo("err1");
        assertThat(output.misuse()).isEmpty();
        byte[] truncated = java.util.Arrays.copyOf(frame(1, ascii("abc")), 10);
        assertThatThrownBy(() -> PodmanProcess.demultiplex(new ByteArrayInputStream(truncated), new OutputCollector()))
                .isInstanceOf(EOFException.class);
    }
}
