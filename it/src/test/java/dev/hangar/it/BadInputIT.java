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
                Arguments.of("empty body", "", 400, "body"));
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

    /** {@code field} is matched exactly; ending in "." or "*" it is a prefix (e.g. "env." for "env.A=B"). */
    private static void assertProblem(Api.Answer answer, int status, String field) {
        assertThat(answer.status()).as("%s", answer).isEqualTo(status);
        assertThat(answer.contentType()).as("%s", answer).startsWith("application/problem+json");
        assertThat(answer.json().path("status").asInt()).as("%s", answer).isEqualTo(status);
        assertThat(answer.json().path("title").asText()).as("%s", answer).isNotBlank();
        String actual = answer.firstErrorField();
        if (field.endsWith(".") || field.endsWith("*")) {
            assertThat(actual).as("errors[0].field of %s", answer).isNotNull()
                    .startsWith(field.endsWith("*") ? field.substring(0, field.length() - 1) : field);
        } else {
            assertThat(actual).as("errors[0].field of %s", answer).isEqualTo(field);
        }
    }
}
