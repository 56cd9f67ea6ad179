package dev.hangar.it;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Base64;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.function.Predicate;

/** The REST API over real HTTP (java.net.http), answers as Jackson trees. */
final class Api {
    static final ObjectMapper JSON = new ObjectMapper();
    static final Set<String> FINAL_STATES = Set.of("SUCCEEDED", "FAILED", "TIMED_OUT", "CANCELLED", "DEAD");
    static final Duration WAIT = Duration.ofSeconds(30);

    private final URI base;
    private final HttpClient http = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(5)).build();

    Api(URI base) {
        this.base = base;
    }

    URI base() {
        return base;
    }

    HttpClient http() {
        return http;
    }

    /** An HTTP answer, body read whole. */
    record Answer(int status, String contentType, byte[] bytes, String method, String path,
            java.net.http.HttpHeaders headers) {
        String body() {
            return new String(bytes, StandardCharsets.UTF_8);
        }

        JsonNode json() {
            try {
                return JSON.readTree(bytes);
            } catch (IOException e) {
                throw new AssertionError(method + " " + path + " answered " + status + " with a body that is not JSON: "
                        + body(), e);
            }
        }

        /** {@code errors[0].field} of a problem details body. */
        String firstErrorField() {
            return json().path("errors").path(0).path("field").asText(null);
        }

        @Override
        public String toString() {
            String text = body();
            return method + " " + path + " -> " + status + " " + contentType + " "
                    + (text.length() > 600 ? text.substring(0, 600) + "..." : text);
        }
    }

    HttpRequest.Builder request(String path) {
        return HttpRequest.newBuilder(base.resolve(path)).timeout(Duration.ofSeconds(60));
    }

    Answer send(String method, String path, HttpRequest.BodyPublisher body, String contentType) {
        var builder = request(path).method(method, body);
        if (contentType != null) {
            builder.header("Content-Type", contentType);
        }
        try {
            HttpResponse<byte[]> response = http.send(builder.build(), HttpResponse.BodyHandlers.ofByteArray());
            return new Answer(response.statusCode(), response.headers().firstValue("Content-Type").orElse(""),
                    response.body(), method, path, response.headers());
        } catch (IOException e) {
            throw new UncheckedIOException(method + " " + path + " failed", e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException(e);
        }
    }

    Answer get(String path) {
        return send("GET", path, HttpRequest.BodyPublishers.noBody(), null);
    }

    Answer delete(String path) {
        return send("DELETE", path, HttpRequest.BodyPublishers.noBody(), null);
    }

    Answer post(String path, String json) {
        return send("POST", path, HttpRequest.BodyPublishers.ofString(json), "application/json");
    }

    Answer postJobs(Object spec) {
        return post("/v1/jobs", write(spec));
    }

    /** Submits a spec; it must be accepted as a new job. Returns the job as stored. */
    JsonNode submit(Object spec) {
        Answer answer = postJobs(spec);
        assertThat(answer.status()).as("%s", answer).isEqualTo(201);
        JsonNode job = answer.json();
        assertThat(job.path("state").asText()).as("state of a new job: %s", answer).isEqualTo("QUEUED");
        return job;
    }

    JsonNode job(String id) {
        Answer answer = get("/v1/jobs/" + id);
        assertThat(answer.status()).as("%s", answer).isEqualTo(200);
        return answer.json();
    }

    static String state(JsonNode job) {
        return job.path("state").asText();
    }

    JsonNode awaitJob(String id, String what, Predicate<JsonNode> condition) {
        // no first delay: tests await many jobs in turn, most already there
        return await(what + " of job " + id).atMost(WAIT).pollDelay(Duration.ZERO).pollInterval(Duration.ofMillis(100))
                .until(() -> job(id), condition);
    }

    JsonNode awaitState(String id, String state) {
        return awaitJob(id, "state " + state, job -> {
            if (!state.equals(state(job)) && FINAL_STATES.contains(state(job))) {
                throw new AssertionError("job " + id + " ended " + state(job) + " while waiting for " + state + ": " + job);
            }
            return state.equals(state(job));
        });
    }

    JsonNode awaitFinal(String id) {
        return awaitJob(id, "a final state", job -> FINAL_STATES.contains(state(job)));
    }

    /** One chunk of a job's output as the ndjson log stream gives it. */
    record Chunk(long seq, int attempt, int delivery, String stream, byte[] data) {}

    List<Chunk> logs(String id) {
        Answer answer = get("/v1/jobs/" + id + "/logs?format=ndjson");
        assertThat(answer.status()).as("%s", answer).isEqualTo(200);
        var chunks = new ArrayList<Chunk>();
        for (String line : answer.body().split("\n")) {
            if (line.isBlank()) {
                continue;
            }
            try {
                JsonNode chunk = JSON.readTree(line);
                chunks.add(new Chunk(chunk.path("seq").asLong(), chunk.path("attempt").asInt(),
                        chunk.path("delivery").asInt(), chunk.path("stream").asText(),
                        Base64.getDecoder().decode(chunk.path("data").asText())));
            } catch (JsonProcessingException e) {
                throw new AssertionError("log line is not JSON: " + line, e);
            }
        }
        return chunks;
    }

    byte[] output(String id, String stream) {
        var out = new ByteArrayOutputStream();
        for (Chunk chunk : logs(id)) {
            if (chunk.stream().equals(stream)) {
                out.writeBytes(chunk.data());
            }
        }
        return out.toByteArray();
    }

    String stdout(String id) {
        return new String(output(id, "STDOUT"), StandardCharsets.UTF_8);
    }

    String stderr(String id) {
        return new String(output(id, "STDERR"), StandardCharsets.UTF_8);
    }

    /** All jobs the server stores, by the job counts of /healthz. */
    long jobCount() {
        return jobCounts().values().stream().mapToLong(Long::longValue).sum();
    }

    /**
     * The server's jobs by state, as /healthz counts them (none while it cannot read its store): far
     * cheaper than listing them while thousands run.
     */
    Map<String, Long> jobCounts() {
        Answer answer = get("/healthz");
        assertThat(answer.status()).as("%s", answer).isEqualTo(200);
        var counts = new java.util.TreeMap<String, Long>();
        answer.json().path("jobs").properties().forEach(count -> counts.put(count.getKey(), count.getValue().asLong()));
        return counts;
    }

    /** A job spec running this command, to adjust with {@code put}/{@code with}. */
    static ObjectNode spec(String... command) {
        ObjectNode spec = JSON.createObjectNode();
        var array = spec.putArray("command");
        for (String arg : command) {
            array.add(arg);
        }
        return spec;
    }

    static String write(Object value) {
        if (value instanceof String text) {
            return text;
        }
        try {
            return JSON.writeValueAsString(value);
        } catch (JsonProcessingException e) {
            throw new UncheckedIOException(e);
        }
    }

    static Map<String, Object> map(Object... keyValues) {
        var out = new java.util.LinkedHashMap<String, Object>();
        for (int i = 0; i < keyValues.length; i += 2) {
            out.put((String) keyValues[i], keyValues[i + 1]);
        }
        return out;
    }
}
