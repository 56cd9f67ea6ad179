package dev.hangar.it;

import dev.hangar.client.EventStream;
import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.dataformat.yaml.YAMLMapper;
import java.net.http.HttpRequest;
import java.util.ArrayList;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/** The OpenAPI document the server serves matches the routes it has and the jobs it returns. */
class OpenApiIT extends OneNodeIT {
    private static final Set<String> METHODS = Set.of("get", "put", "post", "delete", "patch", "head", "options");
    private static final String DUMMY_ID = "j-0000000000dummy0000";
    /** Properties a job always has (primitives, and what every stored job is given at submit). */
    private static final List<String> ALWAYS_PRESENT = List.of("id", "spec", "state", "attempt", "deliveries", "timings",
            "outputTruncated", "cancelRequested");

    static JsonNode openApi;
    static String finishedJobId;

    @BeforeAll
    static void prepare() throws Exception {
        Api.Answer yaml = api.get("/openapi.yaml");
        assertThat(yaml.status()).as("GET /openapi.yaml").isEqualTo(200);
        openApi = new YAMLMapper().readTree(yaml.bytes());
        finishedJobId = api.submit(Api.spec("echo", "documented")).path("id").asText();
        api.awaitFinal(finishedJobId);
    }

    @Test
    void documentIsOpenApi3WithPaths() {
        assertThat(openApi.path("openapi").asText()).startsWith("3.");
        assertThat(operations()).as("operations in openapi.yaml").hasSizeGreaterThanOrEqualTo(7);
    }

    @Test
    void theRouteCheckRecognisesAMissingRoute() {
        // the check below must be able to fail: an undocumented path and method are "no route"
        Api.Answer noPath = call("get", "/v1/nosuchthing", "x");
        Api.Answer noMethod = call("put", "/v1/jobs/{id}", DUMMY_ID);
        assertThat(isNoRoute(noPath)).as("%s", noPath).isTrue();
        assertThat(isNoRoute(noMethod)).as("%s", noMethod).isTrue();
    }

    @Test
    void everyDocumentedOperationHasARoute() {
        var missing = new ArrayList<String>();
        for (String[] operation : operations()) {
            for (String id : List.of(DUMMY_ID, finishedJobId)) {
                Api.Answer answer = call(operation[0], operation[1], id);
                if (isNoRoute(answer)) {
                    missing.add(answer.toString());
                }
            }
        }
        assertThat(missing).as("documented operations the server has no route for").isEmpty();
    }

    @Test
    void everyDocumentedOperationAnswersWithADocumentedStatus() {
        var undocumented = new ArrayList<String>();
        for (String[] operation : operations()) {
            JsonNode responses = openApi.path("paths").path(operation[1]).path(operation[0]).path("responses");
            Api.Answer answer = call(operation[0], operation[1], finishedJobId);
            if (!responses.has(Integer.toString(answer.status()))) {
                undocumented.add(answer + " (documented: " + fieldNames(responses) + ")");
            }
        }
        assertThat(undocumented).as("answers with a status the document does not list").isEmpty();
    }

    @Test
    void aJobHasEveryPropertyItMustAndOnlyDocumentedOnes() {
        JsonNode job = api.job(finishedJobId);
        JsonNode schema = openApi.path("components").path("schemas").path("Job");
        Set<String> documented = fieldNames(schema.path("properties"));
        Set<String> required = new LinkedHashSet<>(ALWAYS_PRESENT);
        schema.path("required").forEach(name -> required.add(name.asText()));

        assertThat(documented).as("properties of components.schemas.Job").containsAll(required);
        assertThat(fieldNames(job)).as("properties of GET /v1/jobs/{id}: %s", job).containsAll(required);
        assertThat(documented).as("every property of %s is documented", job).containsAll(fieldNames(job));
        Set<String> timings = fieldNames(schema.path("properties").path("timings").path("properties"));
        assertThat(timings).as("documented timings").containsAll(fieldNames(job.path("timings")));
        JsonNode specSchema = openApi.path("components").path("schemas").path("JobSpec");
        assertThat(fieldNames(specSchema.path("properties"))).as("documented JobSpec properties")
                .containsAll(fieldNames(job.path("spec")));
        for (JsonNode state : openApi.path("components").path("schemas").path("JobState").path("enum")) {
            assertThat(state.asText()).isNotBlank();
        }
        assertThat(enumOf("JobState")).contains(job.path("state").asText());
    }

    @Test
    void problemBodiesHaveTheDocumentedShape() {
        Api.Answer answer = api.post("/v1/jobs", "{\"command\": []}");
        JsonNode schema = openApi.path("components").path("schemas").path("Problem");

        assertThat(answer.contentType()).startsWith("application/problem+json");
        for (JsonNode name : schema.path("required")) {
            assertThat(answer.json().has(name.asText())).as("%s has %s", answer, name.asText()).isTrue();
        }
        assertThat(fieldNames(schema.path("properties"))).containsAll(fieldNames(answer.json()));
    }

    @Test
    void runtimeStatusHasOnlyDocumentedProperties() {
        JsonNode runtimes = api.get("/v1/runtimes").json();
        JsonNode schema = openApi.path("components").path("schemas").path("RuntimeStatus");

        assertThat(runtimes.size()).isPositive();
        for (JsonNode runtime : runtimes) {
            assertThat(fieldNames(schema.path("properties"))).as("%s", runtime).containsAll(fieldNames(runtime));
            assertThat(fieldNames(schema.path("properties").path("probe").path("properties")))
                    .as("%s", runtime.path("probe")).containsAll(fieldNames(runtime.path("probe")));
        }
    }

    /** Every documented operation as {method, path template}. */
    private static List<String[]> operations() {
        var operations = new ArrayList<String[]>();
        for (Map.Entry<String, JsonNode> path : entries(openApi.path("paths"))) {
            for (Map.Entry<String, JsonNode> operation : entries(path.getValue())) {
                if (METHODS.contains(operation.getKey())) {
                    operations.add(new String[] {operation.getKey(), path.getKey()});
                }
            }
        }
        return operations;
    }

    private static Api.Answer call(String method, String template, String id) {
        String path = template.replace("{id}", id);
        if (method.equals("get") && isEventStream(template)) {
            // an event stream never ends: its status and headers are the answer
            try (EventStream stream = EventStream.open(api.http(), api.base().resolve(path), Map.of())) {
                return new Api.Answer(stream.status(), stream.contentType(), new byte[0], "GET", path, stream.headers());
            }
        }
        HttpRequest.BodyPublisher body = HttpRequest.BodyPublishers.noBody();
        String contentType = null;
        if (method.equals("post") || method.equals("put") || method.equals("patch")) {
            body = HttpRequest.BodyPublishers.ofString("{\"command\": [\"true\"]}");
            contentType = "application/json";
        }
        return api.send(method.toUpperCase(), path, body, contentType);
    }

    private static boolean isEventStream(String template) {
        return openApi.path("paths").path(template).path("get").path("responses").path("200").path("content")
                .has("text/event-stream");
    }

    /** The router's own "no such route" answers, as opposed to a handler's 404 for an unknown job. */
    private static boolean isNoRoute(Api.Answer answer) {
        if (answer.status() == 405) {
            return true;
        }
        if (answer.status() != 404) {
            return false;
        }
        if (!answer.contentType().startsWith("application/problem+json")) {
            return true;
        }
        // HangarServer's own "no route GET /x", or Javalin's "Endpoint GET /x not found"
        String detail = answer.json().path("detail").asText();
        String route = answer.method() + " " + answer.path();
        return detail.startsWith("no route") || detail.equals("Endpoint " + route + " not found");
    }

    private static Set<String> enumOf(String schema) {
        var values = new LinkedHashSet<String>();
        openApi.path("components").path("schemas").path(schema).path("enum").forEach(v -> values.add(v.asText()));
        return values;
    }

    private static Set<String> fieldNames(JsonNode node) {
        var names = new LinkedHashSet<String>();
        node.fieldNames().forEachRemaining(names::add);
        return names;
    }

    private static List<Map.Entry<String, JsonNode>> entries(JsonNode node) {
        return new ArrayList<>(node.properties());
    }
}
