package dev.hangar.it;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import com.fasterxml.jackson.databind.JsonNode;
import java.io.IOException;
import java.net.http.HttpRequest;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.MethodOrderer;
import org.junit.jupiter.api.Order;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestMethodOrder;

/**
 * Warm pools of the real process runtime (bubblewrap) on a real node, through the REST API: jobs
 * take sandboxes made before they were submitted, never one twice, a killed launcher is replaced,
 * the memory budget holds, and a burst of 500 jobs against a pool of 8 all succeed.
 */
@TestMethodOrder(MethodOrderer.OrderAnnotation.class)
class WarmPoolsIT extends OneNodeIT {
    private static final String POOL = "warm-process";
    private static final Duration WAIT = Duration.ofMinutes(3);

    @BeforeAll
    static void addPool() {
        assumeTrue(hangar.agent().pools().pooledRuntimes().contains("process"),
                "the process runtime cannot start sandboxes ahead of a job on this host: " + hangar.agent().runtimes());
        Api.Answer put = api.send("PUT", "/v1/pools/" + POOL, HttpRequest.BodyPublishers.ofString(
                "{\"runtime\": \"process\", \"cpus\": 1, \"memoryMb\": 256, \"min\": 2, \"max\": 8}"), "application/json");
        assertThat(put.status()).as("%s", put).isEqualTo(201);
    }

    private static JsonNode pool(String name) {
        for (JsonNode pool : api.get("/v1/pools").json().path("pools")) {
            if (pool.path("spec").path("name").asText().equals(name)) {
                return pool;
            }
        }
        throw new AssertionError("no pool " + name + " in " + api.get("/v1/pools").body());
    }

    private static void awaitPool(String name, int ready) {
        await("pool " + name + " at " + ready + " ready").atMost(WAIT).pollInterval(Duration.ofMillis(50))
                .until(() -> pool(name), p -> p.path("ready").asInt() == ready && p.path("starting").asInt() == 0);
    }

    private static Object pooledJob(String... command) {
        return Api.spec(command).put("runtime", "process").set("resources", Api.JSON.valueToTree(
                Map.of("cpus", 1, "memoryMb", 256)));
    }

    @Test
    @Order(1)
    void aPooledJobStartsInASandboxCreatedBeforeItWasSubmitted() {
        awaitPool(POOL, 2);
        JsonNode job = api.awaitFinal(api.submit(pooledJob("echo", "warm")).path("id").asText());

        assertThat(Api.state(job)).as("%s", job).isEqualTo("SUCCEEDED");
        JsonNode timings = job.path("timings");
        assertThat(timings.path("path").asText()).isEqualTo("warm");
        assertThat(timings.path("sandboxId").asText()).startsWith("pool-" + POOL + "-");
        Instant created = Instant.parse(timings.path("sandboxCreatedAt").asText());
        Instant submitted = Instant.parse(timings.path("submittedAt").asText());
        assertThat(created).as("the sandbox was created before the job was submitted").isBefore(submitted);
        assertThat(Instant.parse(timings.path("sandboxReadyAt").asText())).isBefore(submitted);
        assertThat(api.stdout(job.path("id").asText())).isEqualTo("warm\n");
    }

    @Test
    @Order(2)
    void aPooledSandboxNeverServesTwoJobs() {
        var ids = new ArrayList<String>();
        for (int i = 0; i < 40; i++) {
            ids.add(api.submit(pooledJob("true")).path("id").asText());
        }
        var sandboxes = new ArrayList<String>();
        for (String id : ids) {
            JsonNode job = api.awaitFinal(id);
            assertThat(Api.state(job)).as("%s", job).isEqualTo("SUCCEEDED");
            sandboxes.add(job.path("timings").path("sandboxId").asText());
        }
        assertThat(new HashSet<>(sandboxes)).as("sandbox ids of 40 jobs").hasSize(40);
        assertThat(pool(POOL).path("served").asLong()).isGreaterThan(1);
    }

    @Test
    @Order(3)
    void aWarmSandboxWhoseLauncherIsKilledFromOutsideIsReplaced() throws Exception {
        await().atMost(WAIT).until(() -> pool(POOL), p -> p.path("inUse").asInt() == 0 && p.path("starting").asInt() == 0);
        long replacedBefore = pool(POOL).path("replaced").asLong();
        List<ProcessHandle> launchers = launchers();
        assertThat(launchers).as("launcher processes of the ready sandboxes").isNotEmpty();

        Process kill = new ProcessBuilder("kill", "-KILL", String.valueOf(launchers.getFirst().pid())).start();
        assertThat(kill.waitFor()).isZero();

        await("the dead sandbox replaced").atMost(WAIT)
                .until(() -> pool(POOL).path("replaced").asLong() > replacedBefore);
        awaitPool(POOL, pool(POOL).path("target").asInt());
        assertThat(launchers()).doesNotContain(launchers.getFirst());
    }

    @Test
    @Order(4)
    void poolsNeverHoldMoreThanTheMemoryBudgetAndSaySoBelowMin() {
        long budget = api.get("/v1/pools").json().path("budget").path("memoryMb").asLong();
        assertThat(budget).as("a quarter of the node's memory").isEqualTo(hangar.agent().config().memoryMb() / 4);
        // why: three of these would fill the whole budget; the other pool holds some, so at most two fit
        Api.Answer put = api.send("PUT", "/v1/pools/greedy", HttpRequest.BodyPublishers.ofString(
                "{\"runtime\": \"process\", \"memoryMb\": " + budget / 3 + ", \"min\": 4, \"max\": 4}"), "application/json");
        assertThat(put.status()).as("%s", put).isEqualTo(201);

        await().atMost(WAIT).until(() -> pool("greedy").path("starting").asInt() == 0
                && pool(POOL).path("starting").asInt() == 0);
        JsonNode all = api.get("/v1/pools").json();
        long held = 0;
        for (JsonNode pool : all.path("pools")) {
            held += pool.path("memoryHeldMb").asLong();
        }
        assertThat(held).isLessThanOrEqualTo(all.path("budget").path("memoryMb").asLong());
        assertThat(pool("greedy").path("ready").asInt()).isLessThan(4);
        assertThat(pool("greedy").path("limitedBy").asText()).contains("memory budget");

        assertThat(api.delete("/v1/pools/greedy").status()).isEqualTo(200);
        assertThat(api.get("/v1/pools/greedy").status()).isEqualTo(404);
    }

    @Test
    @Order(5)
    void aBadPoolIsRefusedNamingTheFields() {
        Api.Answer answer = api.send("PUT", "/v1/pools/bad", HttpRequest.BodyPublishers.ofString(
                "{\"runtime\": \"nosuch\", \"min\": 5, \"max\": 2, \"memoryMb\": 1}"), "application/json");
        assertThat(answer.status()).as("%s", answer).isEqualTo(400);
        List<String> fields = new ArrayList<>();
        answer.json().path("errors").forEach(e -> fields.add(e.path("field").asText()));
        assertThat(fields).containsExactlyInAnyOrder("runtime", "max", "memoryMb");
        Api.Answer unknown = api.send("PUT", "/v1/pools/bad", HttpRequest.BodyPublishers.ofString(
                "{\"runtime\": \"process\", \"size\": 3}"), "application/json");
        assertThat(unknown.status()).isEqualTo(400);
        assertThat(unknown.firstErrorField()).isEqualTo("size");
        // an image the node lacks would never fill: refused at once, as a job naming it is
        Api.Answer noImage = api.send("PUT", "/v1/pools/bad", HttpRequest.BodyPublishers.ofString(
                "{\"runtime\": \"process\", \"image\": \"nosuchimage\", \"min\": 1, \"max\": 1}"), "application/json");
        assertThat(noImage.status()).as("%s", noImage).isEqualTo(400);
        assertThat(noImage.firstErrorField()).isEqualTo("image");
        Api.Answer emptyName = api.send("PUT", "/v1/pools/bad", HttpRequest.BodyPublishers.ofString(
                "{\"name\": \"\", \"runtime\": \"process\", \"min\": 0}"), "application/json");
        assertThat(emptyName.status()).as("%s", emptyName).isEqualTo(400);
        assertThat(emptyName.json().path("detail").asText()).contains("is empty");
        // a blank name in the path used to become the default name: another pool's, changed and called created
        Api.Answer blankPath = api.send("PUT", "/v1/pools/%20", HttpRequest.BodyPublishers.ofString(
                "{\"runtime\": \"process\", \"min\": 0}"), "application/json");
        assertThat(blankPath.status()).as("%s", blankPath).isEqualTo(400);
        assertThat(blankPath.firstErrorField()).isEqualTo("name");
        assertThat(blankPath.json().path("detail").asText()).contains("in the path must be 1-63");
        Api.Answer asText = api.send("PUT", "/v1/pools/bad", HttpRequest.BodyPublishers.ofString(
                "{\"runtime\": \"process\", \"min\": 0}"), "text/plain");
        assertThat(asText.status()).as("%s", asText).isEqualTo(415);
        assertThat(api.get("/v1/pools/bad").status()).as("no pool made by a refused PUT").isEqualTo(404);
    }

    @Test
    @Order(6)
    void aBurstOf500JobsAgainstAPoolOf8AllSucceedAndThePoolRefillsContinuously() {
        Api.Answer resize = api.send("PUT", "/v1/pools/" + POOL, HttpRequest.BodyPublishers.ofString(
                "{\"runtime\": \"process\", \"cpus\": 1, \"memoryMb\": 256, \"min\": 8, \"max\": 8}"), "application/json");
        assertThat(resize.status()).as("%s", resize).isEqualTo(200);
        awaitPool(POOL, 8);
        long servedBefore = pool(POOL).path("served").asLong();
        long missedBefore = pool(POOL).path("missed").asLong();

        var ids = new ArrayList<String>();
        for (int i = 0; i < 500; i++) {
            ids.add(api.submit(pooledJob("true")).path("id").asText());
        }
        Map<String, Integer> byPath = new TreeMap<>();
        Set<String> sandboxes = new HashSet<>();
        for (String id : ids) {
            // no first delay: most of them are final by the time they are awaited
            JsonNode job = await("job " + id).atMost(WAIT).pollDelay(Duration.ZERO).until(() -> api.job(id),
                    j -> Api.FINAL_STATES.contains(Api.state(j)));
            assertThat(Api.state(job)).as("%s", job).isEqualTo("SUCCEEDED");
            byPath.merge(job.path("timings").path("path").asText(), 1, Integer::sum);
            sandboxes.add(job.path("timings").path("sandboxId").asText());
        }

        JsonNode pool = pool(POOL);
        long served = pool.path("served").asLong() - servedBefore;
        long missed = pool.path("missed").asLong() - missedBefore;
        System.out.println("burst of 500 against a pool of 8: " + byPath + ", served " + served + ", missed " + missed);
        assertThat(served).as("refilled continuously").isGreaterThan(8);
        assertThat(byPath.getOrDefault("warm", 0)).isEqualTo((int) served);
        assertThat(byPath.getOrDefault("cold", 0)).as("jobs that found the pool empty ran cold").isEqualTo((int) missed);
        assertThat(sandboxes).hasSize(500);
        awaitPool(POOL, 8);
    }

    @Test
    @Order(7)
    void warmStartsAreExportedPerRuntimeAndPath() {
        String text = api.get("/metrics").body();
        assertThat(text).contains("hangar_job_submit_to_running_seconds_count{path=\"warm\",runtime=\"process\"}");
        assertThat(text).contains("hangar_job_sandbox_ready_to_running_seconds_count{path=\"warm\",runtime=\"process\"}");
        assertThat(text).contains("hangar_pool_served_total{pool=\"" + POOL + "\",runtime=\"process\"}");
        assertThat(text).contains("hangar_pool_sandboxes{pool=\"" + POOL + "\",runtime=\"process\"}");
    }

    /** The host processes of the ready sandboxes' launchers: bwrap processes this JVM started, not inside another. */
    private static List<ProcessHandle> launchers() throws IOException {
        return ProcessHandle.current().descendants()
                .filter(p -> p.info().command().map(c -> c.endsWith("/bwrap")).orElse(false))
                .filter(p -> p.parent().flatMap(parent -> parent.info().command()).map(c -> !c.endsWith("/bwrap")).orElse(true))
                .toList();
    }
}
