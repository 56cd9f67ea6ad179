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
                .contains("\"field\":\"body\"").contains("could not be read whole")
                .contains("the client ended it before the length it said").doesNotContain("Exception");
        assertThat(queue.list(JobQuery.all(10)).jobs()).isEmpty();
    }

    @Test
    void aCompressedBodyIsRefusedNamingItsEncodingRatherThanReadAsMalformedJson() throws Exception {
        var gzipped = new java.io.ByteArrayOutputStream();
        try (var gzip = new java.util.zip.GZIPOutputStream(gzipped)) {
            gzip.write("{\"command\": [\"true\"]}".getBytes(StandardCharsets.UTF_8));
        }
        var answer = java.net.http.HttpClient.newHttpClient().send(java.net.http.HttpRequest.newBuilder(
                        java.net.URI.create("http://127.0.0.1:" + server.port() + "/v1/jobs"))
                .header("Content-Type", "application/json").header("Content-Encoding", "gzip")
                .POST(java.net.http.HttpRequest.BodyPublishers.ofByteArray(gzipped.toByteArray())).build(),
                java.net.http.HttpResponse.BodyHandlers.ofString());

        assertThat(answer.statusCode()).as(answer.body()).isEqualTo(415);
        assertThat(answer.body()).contains("\"field\":\"Content-Encoding\"").contains("'gzip' is not taken");
        assertThat(queue.list(JobQuery.all(10)).jobs()).isEmpty();
    }

    /** What the server answers to a submit of these bytes. */
    private java.net.http.HttpResponse<String> submit(byte[] body) throws Exception {
        return java.net.http.HttpClient.newHttpClient().send(java.net.http.HttpRequest.newBuilder(
                        java.net.URI.create("http://127.0.0.1:" + server.port() + "/v1/jobs"))
                .header("Content-Type", "application/json").POST(java.net.http.HttpRequest.BodyPublishers.ofByteArray(body))
                .build(), java.net.http.HttpResponse.BodyHandlers.ofString());
    }

    private static byte[] bytes(String before, int[] raw, String after) {
        var out = new java.io.ByteArrayOutputStream();
        out.writeBytes(before.getBytes(StandardCharsets.UTF_8));
        for (int b : raw) {
            out.write(b);
        }
        out.writeBytes(after.getBytes(StandardCharsets.UTF_8));
        return out.toByteArray();
    }

    @Test
    void bytesThatAreNotUtf8AreRefusedThoughAReaderCouldDecodeThem() throws Exception {
        // C0 AE C0 AE C0 AF: an overlong "../", which the JSON reader alone decoded as such; ED A0 80: a surrogate
        for (int[] raw : new int[][] {{0xC0, 0xAE, 0xC0, 0xAE, 0xC0, 0xAF}, {0xED, 0xA0, 0x80}, {0xFF}}) {
            var answer = submit(bytes("{\"command\": [\"echo\", \"", raw, "\"]}"));
            assertThat(answer.statusCode()).as(answer.body()).isEqualTo(400);
            assertThat(answer.body()).contains("\"field\":\"body\"").contains("is not valid UTF-8")
                    .contains("at byte offset 22");
        }
        assertThat(queue.list(JobQuery.all(10)).jobs()).isEmpty();

        var valid = submit("{\"command\": [\"echo\", \"h\u00e9 \u2713 \ud83d\ude00\"]}".getBytes(StandardCharsets.UTF_8));
        assertThat(valid.statusCode()).as(valid.body()).isEqualTo(201);
        assertThat(queue.list(JobQuery.all(10)).jobs()).singleElement()
                .satisfies(job -> assertThat(job.spec().command()).containsExactly("echo", "h\u00e9 \u2713 \ud83d\ude00"));
    }

    @Test
    void aFieldNameTooLongForTheReaderIsBlamedOnTheBodyNotTheFieldBeforeIt() throws Exception {
        var answer = submit(("{\"command\": [\"true\"], \"" + "a".repeat(60_000) + "\": 1}").getBytes(StandardCharsets.UTF_8));

        assertThat(answer.statusCode()).as(answer.body()).isEqualTo(400);
        // it used to say "command: is too large"
        assertThat(answer.body()).contains("\"field\":\"body\"").contains("field name too long").doesNotContain("command");
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

    @Test
    void aQueryIsReadAsUtf8WhateverCharsetTheContentTypeNames() throws Exception {
        String cancelled = queue.enqueue(dev.hangar.core.job.JobSpec.builder().command("true").build()).job().id();
        queue.cancel(cancelled);
        queue.enqueue(dev.hangar.core.job.JobSpec.builder().command("true").build());

        for (String contentType : java.util.List.of("text/plain; charset=\"utf-8\"", "text/plain; charset=nonesuch")) {
            String answer = exchange("GET /v1/jobs?state=CANCELLED&limit=5 HTTP/1.1\r\nHost: localhost\r\nContent-Type: "
                    + contentType + "\r\nConnection: close\r\n\r\n");
            // without the fix the servlet dropped every parameter it could not decode in that charset: both jobs came
            assertThat(answer).as(contentType).startsWith("HTTP/1.1 200 ").contains(cancelled)
                    .containsOnlyOnce("\"id\":\"j-");
        }
    }
}
