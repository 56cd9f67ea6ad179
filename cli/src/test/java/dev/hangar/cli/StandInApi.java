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
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.function.BiFunction;
import java.util.function.IntSupplier;
import java.util.stream.Stream;

/** A stand-in for the server that answers the paths under one with JSON as the API would, and commands run against it. */
final class StandInApi implements AutoCloseable {
    private final HttpServer server;
    private final List<String> asked = new CopyOnWriteArrayList<>();
    private final List<String> bodies = new CopyOnWriteArrayList<>();

    /** What the stand-in answers a request with: a status and a JSON body (a problem document unless 200). */
    record Answer(int status, String json) {}

    /** Answers {@code path} with this JSON body, whatever the method. */
    StandInApi(String path, String json) throws IOException {
        this(path, (method, requested) -> new Answer(200, json));
    }

    /** Answers each request under {@code path} as {@code answers} says, given its method and path. */
    StandInApi(String path, BiFunction<String, String, Answer> answers) throws IOException {
        server = HttpServer.create(new InetSocketAddress(InetAddress.getLoopbackAddress(), 0), 0, path, exchange -> {
            asked.add(exchange.getRequestMethod() + " " + exchange.getRequestURI());
            byte[] sent = exchange.getRequestBody().readAllBytes();
            if (sent.length > 0) {
                bodies.add(exchange.getRequestMethod() + " " + exchange.getRequestURI() + " " + new String(sent, StandardCharsets.UTF_8));
            }
            Answer answer = answers.apply(exchange.getRequestMethod(), exchange.getRequestURI().getPath());
            byte[] body = answer.json().getBytes(StandardCharsets.UTF_8);
            exchange.getResponseHeaders().set("Content-Type", answer.status() == 200 ? "application/json" : "application/problem+json");
            exchange.sendResponseHeaders(answer.status(), body.length);
            try (OutputStream out = exchange.getResponseBody()) {
                out.write(body);
            }
        });
        server.start();
    }

    /** The requests answered so far, each as its method and URI: "GET /v1/jobs?limit=50". */
    List<String> asked() {
        return List.copyOf(asked);
    }

    /** The bodies of the requests that sent one, each after its method and URI: "PUT /v1/nodes/n1/labels {...}". */
    List<String> bodies() {
        return List.copyOf(bodies);
    }

    String url() {
        return "http://127.0.0.1:" + server.getAddress().getPort();
    }

    /** What {@code hangar COMMAND --url ... OPTIONS} printed on standard output; it must end with 0. */
    String run(String command, String... options) {
        String[] args = Stream.concat(Stream.of(command, "--url", url()), Stream.of(options)).toArray(String[]::new);
        Printed printed = capture(() -> Main.run(args));
        assertThat(printed.exitCode()).as("%s", printed).isZero();
        return printed.out();
    }

    /** What a command printed on standard output and error, and how it ended. */
    record Printed(int exitCode, String out, String err) {}

    /** Runs {@code command} with standard output and error caught. */
    static Printed capture(IntSupplier command) {
        PrintStream out = System.out;
        PrintStream err = System.err;
        var printed = new ByteArrayOutputStream();
        var complained = new ByteArrayOutputStream();
        System.setOut(new PrintStream(printed, true, StandardCharsets.UTF_8));
        System.setErr(new PrintStream(complained, true, StandardCharsets.UTF_8));
        try {
            int exitCode = command.getAsInt();
            return new Printed(exitCode, printed.toString(StandardCharsets.UTF_8), complained.toString(StandardCharsets.UTF_8));
        } finally {
            System.setOut(out);
            System.setErr(err);
        }
    }

    @Override
    public void close() {
        server.stop(0);
    }
}
