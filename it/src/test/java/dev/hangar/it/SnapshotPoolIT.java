package dev.hangar.it;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import com.fasterxml.jackson.databind.JsonNode;
import dev.hangar.core.runtime.RuntimeStatus;
import java.net.http.HttpRequest;
import java.time.Duration;
import java.time.Instant;
import java.util.Map;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * A pool filled from a gVisor snapshot template: booted once, prepared once (the prepare step
 * writes a file and starts a background process), checkpointed, then restored ahead of each job.
 * Every job sees what the prepare step left, starts on the restored path, in a sandbox made before
 * it was submitted, and none sees what another job did.
 */
class SnapshotPoolIT extends OneNodeIT {
    private static final String POOL = "prepared-gvisor";
    private static final String PREPARE = "echo prepared-once > /tmp/state; sleep 100000 & echo $! > /tmp/helper";

    @BeforeAll
    static void addPool() {
        RuntimeStatus gvisor = hangar.agent().runtimes().stream().filter(r -> r.name().equals("gvisor")).findFirst()
                .orElse(null);
        assumeTrue(gvisor != null && gvisor.probe().available(), "gVisor is not available here: " + gvisor);
        assumeTrue(gvisor.capabilities().snapshot(), "gVisor cannot checkpoint/restore here: " + gvisor.probe().attributes());
        Api.Answer put = api.send("PUT", "/v1/pools/" + POOL, HttpRequest.BodyPublishers.ofString(Api.write(Map.of(
                "runtime", "gvisor", "image", "busybox", "memoryMb", 256, "min", 2, "max", 2, "prepare", PREPARE))),
                "application/json");
        assertThat(put.status()).as("%s", put).isEqualTo(201);
        assertThat(put.json().path("spec").path("snapshot").asBoolean()).as("a prepare step implies a snapshot").isTrue();
    }

    private static Object pooledJob(String script) {
        return Api.spec("sh", "-c", script).put("runtime", "gvisor").put("image", "busybox")
                .set("resources", Api.JSON.valueToTree(Map.of("memoryMb", 256)));
    }

    private static void awaitReady() {
        await("the pool holds 2 restored sandboxes").atMost(Duration.ofMinutes(2)).pollInterval(Duration.ofMillis(50))
                .until(() -> {
                    for (JsonNode pool : api.get("/v1/pools").json().path("pools")) {
                        if (pool.path("spec").path("name").asText().equals(POOL)) {
                            return pool.path("ready").asInt() == 2;
                        }
                    }
                    return false;
                });
    }

    @Test
    void jobsRunInRestoredSandboxesThatHoldWhatThePrepareStepLeftAndNothingOfEachOther() {
        awaitReady();
        JsonNode first = api.awaitFinal(api.submit(pooledJob(
                "cat /tmp/state; kill -0 $(cat /tmp/helper) && echo helper-alive; echo changed > /tmp/state")).path("id").asText());
        awaitReady();
        JsonNode second = api.awaitFinal(api.submit(pooledJob("cat /tmp/state")).path("id").asText());

        assertThat(Api.state(first)).as("%s", first).isEqualTo("SUCCEEDED");
        assertThat(api.stdout(first.path("id").asText())).isEqualTo("prepared-once\nhelper-alive\n");
        assertThat(api.stdout(second.path("id").asText())).as("the first job's write stayed in its own sandbox")
                .isEqualTo("prepared-once\n");
        for (JsonNode job : new JsonNode[] {first, second}) {
            JsonNode timings = job.path("timings");
            assertThat(timings.path("path").asText()).as("%s", job).isEqualTo("restored");
            assertThat(Instant.parse(timings.path("sandboxCreatedAt").asText()))
                    .isBefore(Instant.parse(timings.path("submittedAt").asText()));
        }
        assertThat(first.path("timings").path("sandboxId").asText())
                .isNotEqualTo(second.path("timings").path("sandboxId").asText());
    }

    @Test
    void aSnapshotPoolOnARuntimeThatCannotSnapshotIsRefusedNamingTheField() {
        Api.Answer put = api.send("PUT", "/v1/pools/no-snapshots", HttpRequest.BodyPublishers.ofString(
                "{\"runtime\": \"process\", \"snapshot\": true}"), "application/json");
        assertThat(put.status()).as("%s", put).isEqualTo(400);
        assertThat(put.body()).contains("snapshot").contains("cannot snapshot");
    }
}
