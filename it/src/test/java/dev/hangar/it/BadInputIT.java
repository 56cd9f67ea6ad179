package dev.hangar.it;

import static org.assertj.core.api.Assertions.assertThat;

import java.net.http.HttpRequest;
import java.util.stream.Stream;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * Bad job specs over real HTTP: each is refused with a 4xx problem details body that names the
 * field at fault, and nothing is stored.
 */
class BadInputIT extends OneNodeIT {

    @BeforeAll
    static void prepare() throws Exception {
        // one stored job, so that "unchanged" is not just "still zero"
        api.awaitFinal(api.submit(Api.spec("true")).path("id").asText());
    }

    static Stream<Arguments> badSpecs() {
        return Stream.of(
                Arguments.of("malformed JSON", "{\"command\": [", 400, "body"),
                Arguments.of("malformed JSON at the top", "{\"command\" [\"true\"]}", 400, "body"),
                Arguments.of("not an object", "[\"true\"]", 400, "body"),
                Arguments.of("a nested field given twice",
                        "{\"command\": [\"true\"], \"resources\": {\"cpus\": 1, \"cpus\": 2}}", 400, "resources.cpus"),
                Arguments.of("JSON null", "null", 400, "body"),
                Arguments.of("unknown top-level field", "{\"command\": [\"true\"], \"bogus\": 1}", 400, "bogus"),
                Arguments.of("unknown nested field", "{\"command\": [\"true\"], \"resources\": {\"bogus\": 1}}", 400,
                        "resources.bogus"),
                Arguments.of("wrong type", "{\"command\": \"echo\"}", 400, "command"),
                Arguments.of("negative memory", "{\"command\": [\"true\"], \"resources\": {\"memoryMb\": -5}}", 400,
                        "resources.memoryMb"),
                Arguments.of("absurd cpus", "{\"command\": [\"true\"], \"resources\": {\"cpus\": 1e6}}", 400,
                        "resources.cpus"),
                Arguments.of("unknown runtime", "{\"command\": [\"true\"], \"runtime\": \"nosuchruntime\"}", 400,
                        "runtime"),
                Arguments.of("empty command", "{\"command\": []}", 400, "command"),
                Arguments.of("no command", "{}", 400, "command"),
                Arguments.of("priority out of range", "{\"command\": [\"true\"], \"priority\": 42}", 400, "priority"),
                Arguments.of("env name with '='", "{\"command\": [\"true\"], \"env\": {\"A=B\": \"c\"}}", 400, "env."),
                Arguments.of("zero timeout", "{\"command\": [\"true\"], \"timeoutSeconds\": 0}", 400, "timeoutSeconds"),
                Arguments.of("unknown trust", "{\"command\": [\"true\"], \"profile\": {\"trust\": \"MAYBE\"}}", 400,
                        "profile.trust"),
                Arguments.of("unknown image", "{\"command\": [\"true\"], \"image\": \"nosuchimage\"}", 400, "image"),
                Arguments.of("a GPU on a node without one", "{\"command\": [\"true\"], \"resources\": {\"gpus\": 1}}", 400,
                        "resources.gpus"),
                Arguments.of("a mount on a node that allows none",
                        "{\"command\": [\"true\"], \"mounts\": [{\"hostPath\": \"/etc\", \"sandboxPath\": \"/data\"}]}", 400,
                        "mounts[0].hostPath"),
                Arguments.of("a mount over the runtime's own paths",
                        "{\"command\": [\"true\"], \"mounts\": [{\"hostPath\": \"/tmp\", \"sandboxPath\": \"/proc\"}]}", 400,
                        "mounts[0].sandboxPath"),
                Arguments.of("empty body", "", 400, "body"),
                Arguments.of("a network on a node that gives none",
                        "{\"command\": [\"true\"], \"profile\": {\"needs\": {\"network\": true}}}", 400,
                        "profile.needs.network"),
                Arguments.of("a node label the node lacks", "{\"command\": [\"true\"], \"nodeSelector\": {\"zone\": \"r9\"}}",
                        400, "nodeSelector.zone"),
                Arguments.of("a node label no label can be", "{\"command\": [\"true\"], \"nodeSelector\": {\"zone\": \"\"}}",
                        400, "nodeSelector.zone"),
                Arguments.of("a node selector that is a list", "{\"command\": [\"true\"], \"nodeSelector\": [\"zone=it\"]}",
                        400, "nodeSelector"),
                Arguments.of("a null argument", "{\"command\": [\"echo\", null]}", 400, "command[1]"),
                Arguments.of("a null env value", "{\"command\": [\"true\"], \"env\": {\"A\": null}}", 400, "env.A"),
                Arguments.of("a number for a string", "{\"command\": [\"echo\", 1]}", 400, "command[1]"),
                Arguments.of("true for a string", "{\"command\": [\"true\"], \"stdin\": true}", 400, "stdin"),
                Arguments.of("a number for an enum's name", "{\"command\": [\"true\"], \"profile\": {\"trust\": 1}}", 400,
                        "profile.trust"),
                Arguments.of("a fraction for a whole number", "{\"command\": [\"true\"], \"timeoutSeconds\": 10.7}", 400,
                        "timeoutSeconds"),
                Arguments.of("a whole number out of range", "{\"command\": [\"true\"], \"timeoutSeconds\": 99999999999}",
                        400, "timeoutSeconds"),
                Arguments.of("text for a number", "{\"command\": [\"true\"], \"priority\": \"5\"}", 400, "priority"),
                Arguments.of("a number of 2000 digits",
                        "{\"command\": [\"true\"], \"priority\": " + "9".repeat(2000) + "}", 400, "priority"),
                Arguments.of("a field given twice", "{\"command\": [\"rm\", \"-rf\", \"/x\"], \"command\": [\"true\"]}",
                        400, "command"),
                Arguments.of("two JSON values", "{\"command\": [\"true\"]} {\"command\": [\"true\"]}", 400, "body"),
                Arguments.of("a lone surrogate", "{\"command\": [\"echo\", \"\\ud800\"]}", 400, "command[1]"),
                Arguments.of("a lone surrogate in stdin", "{\"command\": [\"cat\"], \"stdin\": \"a\\udc00\"}", 400,
                        "stdin"));
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("badSpecs")
    void badSpecIsRefusedAndNothingIsStored(String what, String body, int status, String field) {
        long before = api.jobCount();

        Api.Answer answer = api.post("/v1/jobs", body);

        assertProblem(answer, status, field);
        assertThat(api.jobCount()).as("jobs stored after a refused request (%s)", what).isEqualTo(before);
    }

    @Test
    void aSpecThatIsNotSentAsJsonIsRefused() {
        // a web page may post a form or text/plain to a node on this host without asking first
        long before = api.jobCount();
        String spec = "{\"command\": [\"true\"]}";

        for (String type : new String[] {"text/plain", "application/x-www-form-urlencoded", "multipart/form-data",
                "application/json; charset=iso-8859-1", "application/json;charset=\"UTF-16\""}) {
            assertProblem(api.send("POST", "/v1/jobs", HttpRequest.BodyPublishers.ofString(spec), type), 415, "Content-Type");
            assertProblem(api.send("POST", "/v1/explain", HttpRequest.BodyPublishers.ofString(spec), type), 415,
                    "Content-Type");
        }
        assertProblem(api.send("POST", "/v1/jobs", HttpRequest.BodyPublishers.ofString(spec), null), 415, "Content-Type");
        assertThat(api.send("POST", "/v1/explain", HttpRequest.BodyPublishers.ofString(spec),
                "application/json; charset=utf-8").status()).isEqualTo(200);
        assertThat(api.send("POST", "/v1/explain", HttpRequest.BodyPublishers.ofString(spec),
                "application/json; Charset=\"UTF-8\"").status()).isEqualTo(200);
        assertThat(api.jobCount()).isEqualTo(before);
    }

    @Test
    void errorsThatJettyAnswersItselfAreProblemDocumentsToo() {
        Api.Answer nul = api.get("/v1/jobs/%00");
        Api.Answer longUri = api.get("/v1/jobs/" + "x".repeat(20_000));

        assertThat(nul.status()).as("%s", nul).isEqualTo(400);
        assertThat(nul.contentType()).as("%s", nul).startsWith("application/problem+json");
        assertThat(nul.json().path("status").asInt()).isEqualTo(400);
        assertThat(longUri.status()).as("%s", longUri).isEqualTo(414);
        assertThat(longUri.contentType()).as("%s", longUri).startsWith("application/problem+json");
    }

    @Test
    void aProblemDocumentIsUtf8AndAMethodNotAllowedSaysWhichAre() {
        Api.Answer unknown = api.get("/v1/jobs/%C3%A9%E2%98%83");
        Api.Answer wrongMethod = api.send("PUT", "/v1/jobs", HttpRequest.BodyPublishers.noBody(), null);

        assertThat(unknown.status()).isEqualTo(404);
        assertThat(unknown.json().path("detail").asText()).as("%s", unknown).contains("\u00e9\u2603");
        assertThat(wrongMethod.status()).isEqualTo(405);
        assertThat(wrongMethod.headers().firstValue("Allow")).as("%s", wrongMethod).hasValueSatisfying(
                allow -> assertThat(allow).contains("GET").contains("POST"));
    }

    @Test
    void badQueryParametersAreRefusedNotIgnored() throws Exception {
        String id = api.submit(Api.spec("true")).path("id").asText();

        assertProblem(api.get("/v1/jobs?state=,,"), 400, "state");
        assertProblem(api.get("/v1/jobs?limit=99999999999999"), 400, "limit");
        assertThat(api.get("/v1/jobs?limit=99999999999999").json().path("detail").asText()).contains("between");
        assertProblem(api.get("/v1/jobs/j-nosuch/logs?format=xml"), 400, "format"); // the parameter first, then the job
        assertThat(api.get("/v1/jobs?limit=%2050").json().path("detail").asText())
                .isEqualTo("limit: must be a whole number (digits alone, no spaces), got ' 50'");
        assertProblem(api.get("/v1/jobs/" + id + "/logs?follow=maybe"), 400, "follow");
        assertThat(rawStatusLine("/v1/jobs?state=QUEUED%zz")).as("a filter Jetty cannot decode").contains(" 400 ");
        assertProblem(api.get("/v1/jobs?since=yesterday"), 400, "since");
        assertProblem(api.get("/v1/jobs?limit=1&limit=abc"), 400, "limit");
        assertProblem(api.get("/v1/jobs/" + id + "/logs?fllow=true"), 400, "fllow");
        assertProblem(api.get("/v1/events?type=job"), 400, "type");
        assertThat(api.get("/v1/jobs?state=QUEUED,RUNNING&limit=5").status()).isEqualTo(200);
    }

    /** A body holds a spec at its stdin limit: it used to be refused as a body over 1 MiB, naming no limit the spec has. */
    @Test
    void aSpecAtItsStdinLimitIsTakenAndOneByteMoreIsRefusedNamingStdin() {
        String most = "x".repeat(1024 * 1024);
        Api.Answer taken = api.post("/v1/jobs", "{\"command\": [\"true\"], \"stdin\": \"" + most + "\"}");
        assertThat(taken.status()).as("%s", taken).isEqualTo(201);

        long before = api.jobCount();
        Api.Answer refused = api.post("/v1/jobs", "{\"command\": [\"true\"], \"stdin\": \"" + most + "x\"}");
        assertProblem(refused, 400, "stdin");
        assertThat(api.jobCount()).isEqualTo(before);
    }

    @Test
    void tenMegabyteSpecIsTooLarge() {
        long before = api.jobCount();
        String huge = "x".repeat(10 * 1024 * 1024);

        Api.Answer env = api.post("/v1/jobs", "{\"command\": [\"true\"], \"env\": {\"BIG\": \"" + huge + "\"}}");
        Api.Answer stdin = api.post("/v1/jobs", "{\"command\": [\"cat\"], \"stdin\": \"" + huge + "\"}");

        assertProblem(env, 413, "body");
        assertProblem(stdin, 413, "body");
        assertThat(api.jobCount()).isEqualTo(before);
    }

    @Test
    void tenMegabyteSpecWithoutContentLengthIsTooLarge() {
        long before = api.jobCount();
        byte[] huge = ("{\"command\": [\"true\"], \"env\": {\"BIG\": \"" + "x".repeat(10 * 1024 * 1024) + "\"}}")
                .getBytes(java.nio.charset.StandardCharsets.UTF_8);
        // a streamed body is sent chunked: there is no Content-Length to refuse it by, so the
        // limit must hold while the body is read
        var publisher = HttpRequest.BodyPublishers.ofInputStream(() -> new java.io.ByteArrayInputStream(huge));

        Api.Answer answer = api.send("POST", "/v1/jobs", publisher, "application/json");

        assertProblem(answer, 413, "body");
        assertThat(api.jobCount()).as("jobs stored after a 10 MB chunked spec").isEqualTo(before);
    }

    @Test
    void aSpecJustUnderTheLimitIsNotRefusedForItsSize() {
        // stdin may be 1 MiB; the whole body may be 1 MiB: a body that fits is judged on its fields
        long before = api.jobCount();
        Api.Answer answer = api.post("/v1/jobs",
                "{\"command\": [\"true\"], \"stdin\": \"" + "x".repeat(512 * 1024) + "\", \"priority\": 42}");

        assertProblem(answer, 400, "priority");
        assertThat(api.jobCount()).isEqualTo(before);
    }

    @Test
    void envThatNoProcessCouldBeStartedWithIsRefusedAtTheDoor() {
        // Linux refuses execve when one "NAME=value" string is longer than 128 KiB (MAX_ARG_STRLEN):
        // such a job can never run, so like an oversized command it must be refused with 400,
        // not stored and then failed by the sandbox with "Argument list too long"
        long before = api.jobCount();
        Api.Answer answer = api.post("/v1/jobs",
                "{\"command\": [\"true\"], \"env\": {\"BIG\": \"" + "x".repeat(200_000) + "\"}}");

        assertProblem(answer, 400, "env*");
        assertThat(api.jobCount()).isEqualTo(before);
    }

    /** The status line of a GET sent as these bytes: java.net.URI refuses to make a broken escape. */
    private static String rawStatusLine(String pathAndQuery) throws java.io.IOException {
        try (var socket = new java.net.Socket(api.base().getHost(), api.base().getPort())) {
            socket.getOutputStream().write(("GET " + pathAndQuery + " HTTP/1.1\r\nHost: localhost\r\nConnection: close\r\n\r\n")
                    .getBytes(java.nio.charset.StandardCharsets.US_ASCII));
            return new java.io.BufferedReader(new java.io.InputStreamReader(socket.getInputStream(),
                    java.nio.charset.StandardCharsets.US_ASCII)).readLine();
        }
    }

    /** {@code field} is matched exactly; ending in "." or "*" it is a prefix (e.g. "env." for "env.A=B"). */
    private static void assertProblem(Api.Answer answer, int status, String field) {
        assertThat(answer.status()).as("%s", answer).isEqualTo(status);
        assertThat(answer.contentType()).as("%s", answer).startsWith("application/problem+json");
        assertThat(answer.json().path("status").asInt()).as("%s", answer).isEqualTo(status);
        assertThat(answer.json().path("title").asText()).as("%s", answer).isNotBlank();
        // the reason is in the API's words: no Java class, no Jackson setting
        assertThat(answer.json().path("detail").asText()).as("%s", answer)
                .doesNotContain("dev.hangar.", "java.", "`", "Jackson", "StreamReadConstraints", "Feature");
        String actual = answer.firstErrorField();
        if (field.endsWith(".") || field.endsWith("*")) {
            assertThat(actual).as("errors[0].field of %s", answer).isNotNull()
                    .startsWith(field.endsWith("*") ? field.substring(0, field.length() - 1) : field);
        } else {
            assertThat(actual).as("errors[0].field of %s", answer).isEqualTo(field);
        }
    }
}
