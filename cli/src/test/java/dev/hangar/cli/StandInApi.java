package dev.hangar.cli;

import static org.assertj.core.api.Assertions.assertThat;

import com.sun.net.httpserver.HttpServer;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.OutputStream;
import java.io.PrintStream;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.util.stream.Stream;

/** A stand-in for the server that answers one path with one JSON body as the API would, and commands run against it. */
final class StandInApi implements AutoCloseable {
    private final HttpServer server;

    StandInApi(String path, String json) throws IOException {
        server = HttpServer.create(new InetSocketAddress(InetAddress.getLoopbackAddress(), 0), 0, path, exchange -> {
            byte[] body = json.getBytes(StandardCharsets.UTF_8);
            exchange.getResponseHeaders().set("Content-Type", "application/json");
            exchange.sendResponseHeaders(200, body.length);
            try (OutputStream out = exchange.getResponseBody()) {
                out.write(body);
            }
        });
        server.start();
    }

    /** What {@code hangar COMMAND --url ... OPTIONS} printed on standard output; it must end with 0. */
    String run(String command, String... options) {
        PrintStream was = System.out;
        var printed = new ByteArrayOutputStream();
        System.setOut(new PrintStream(printed, true, StandardCharsets.UTF_8));
        try {
            String[] args = Stream.concat(Stream.of(command, "--url", "http://127.0.0.1:" + server.getAddress().getPort()),
                    Stream.of(options)).toArray(String[]::new);
            assertThat(Main.run(args)).isZero();
        } finally {
            System.setOut(was);
        }
        return printed.toString(StandardCharsets.UTF_8);
    }

    @Override
    public void close() {
        server.stop(0);
    }
}
