package dev.hangar.it;

import static dev.hangar.it.Api.spec;
import static dev.hangar.it.Api.state;
import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.io.ByteArrayOutputStream;
import java.io.InputStream;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Set;
import java.util.UUID;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ThreadLocalRandom;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;

/** The jobs API end to end: real HTTP to a real node whose jobs really run in bubblewrap. */
class JobsApiIT extends OneNodeIT {

    @Test
    void stdoutStderrAndExitCodeComeBackSeparately() {
        String id = api.submit(spec("sh", "-c", "echo out; echo err >&2; exit 7")).path("id").asText();

        JsonNode job = api.awaitFinal(id);

        assertThat(state(job)).as("%s", job).isEqualTo("FAILED");
        assertThat(job.path("exitCode").asInt(-1)).as("%s", job).isEqualTo(7);
        assertThat(api.stdout(id)).isEqualTo("out\n");
        assertThat(api.stderr(id)).isEqualTo("err\n");
    }

    @Test
    void eachRunsOutputNamesItsAttemptAndDelivery() {
        var spec = spec("sh", "-c", "echo run; exit 3");
        spec.putObject("retry").put("maxAttempts", 2).put("backoffSeconds", 0);
        String id = api.submit(spec).path("id").asText();

        JsonNode job = api.awaitFinal(id);

        assertThat(state(job)).as("%s", job).isEqualTo("DEAD");
        assertThat(api.logs(id))
                .extracting(c -> c.attempt() + "/" + c.delivery() + " " + new String(c.data(), StandardCharsets.UTF_8))
                .containsExactly("1/1 run\n", "2/2 run\n");
    }

    @Test
    void successfulJobRecordsRuntimeSelectionAndOrderedTimings() {
        String id = api.submit(spec("echo", "ok")).path("id").asText();

        JsonNode job = api.awaitFinal(id);

        assertThat(state(job)).as("%s", job).isEqualTo("SUCCEEDED");
        assertThat(job.path("exitCode").isInt()).as("%s", job).isTrue();
        assertThat(job.path("exitCode").asInt()).isZero();
        assertThat(api.stdout(id)).isEqualTo("ok\n");
        assertThat(job.path("runtime").asText()).isEqualTo("process");
        assertThat(job.path("node").asText()).isEqualTo("node");
        assertThat(job.path("selection").path("runtime").asText()).isEqualTo("process");
        assertThat(job.path("selection").path("reason").asText()).as("selection reason: %s", job).isNotBlank();
        JsonNode timings = job.path("timings");
        Instant submitted = instant(timings, "submittedAt");
        Instant scheduled = instant(timings, "scheduledAt");
        Instant running = instant(timings, "runningAt");
        Instant finished = instant(timings, "finishedAt");
        assertThat(submitted).as("submittedAt <= scheduledAt in %s", timings).isBeforeOrEqualTo(scheduled);
        assertThat(scheduled).as("scheduledAt <= runningAt in %s", timings).isBeforeOrEqualTo(running);
        assertThat(running).as("runningAt <= finishedAt in %s", timings).isBeforeOrEqualTo(finished);
    }

    @Test
    void envAndStdinReachTheProcess() {
        ObjectNode spec = spec("sh", "-c", "echo \"greeting=$GREETING\"; cat");
        spec.putObject("env").put("GREETING", "hello from env");
        spec.put("stdin", "line one\nline two\n");
        String id = api.submit(spec).path("id").asText();

        JsonNode job = api.awaitFinal(id);

        assertThat(state(job)).as("%s", job).isEqualTo("SUCCEEDED");
        assertThat(api.stdout(id)).isEqualTo("greeting=hello from env\nline one\nline two\n");
    }

    @Test
    void logsStreamWhileTheJobRuns() throws Exception {
        String id = api.submit(spec("sh", "-c", "echo first-line; sleep 20")).path("id").asText();
        var request = api.request("/v1/jobs/" + id + "/logs?follow=true").GET().build();
        HttpResponse<InputStream> response = api.http().send(request, HttpResponse.BodyHandlers.ofInputStream());
        assertThat(response.statusCode()).isEqualTo(200);
        InputStream body = response.body();
        var received = new ByteArrayOutputStream();
        try {
            CompletableFuture<String> firstLine = CompletableFuture.supplyAsync(() -> {
                try {
                    int b;
                    while ((b = body.read()) >= 0) {
                        received.write(b);
                        if (b == '\n') {
                            return received.toString(StandardCharsets.UTF_8);
                        }
                    }
                    return received.toString(StandardCharsets.UTF_8);
                } catch (java.io.IOException e) {
                    throw new java.io.UncheckedIOException(e);
                }
            });

            assertThat(firstLine.get(30, TimeUnit.SECONDS)).isEqualTo("first-line\n");
            assertThat(state(api.job(id))).as("the line must arrive while the job still runs").isEqualTo("RUNNING");

            assertThat(api.delete("/v1/jobs/" + id).status()).isEqualTo(202);
            // follow ends once the job is final
            CompletableFuture<byte[]> rest = CompletableFuture.supplyAsync(() -> {
                try {
                    return body.readAllBytes();
                } catch (java.io.IOException e) {
                    throw new java.io.UncheckedIOException(e);
                }
            });
            assertThat(new String(rest.get(30, TimeUnit.SECONDS), StandardCharsets.UTF_8)).isEmpty();
            assertThat(state(api.awaitFinal(id))).isEqualTo("CANCELLED");
        } finally {
            body.close();
        }
    }

    @Test
    void cancelKillsTheRunningSandbox() {
        // sleep takes a fractional time; the random fraction marks this job's processes on the host
        String marker = "300." + ThreadLocalRandom.current().nextInt(100_000_000, 999_999_999);
        String id = api.submit(spec("sleep", marker)).path("id").asText();
        api.awaitState(id, "RUNNING");
        await("the job's sleep on the host").atMost(Api.WAIT).until(() -> !Host.processesWith(marker).isEmpty());

        Api.Answer cancel = api.delete("/v1/jobs/" + id);

        assertThat(cancel.status()).as("%s", cancel).isEqualTo(202);
        assertThat(cancel.json().path("cancelRequested").asBoolean()).as("%s", cancel).isTrue();
        JsonNode job = api.awaitFinal(id);
        assertThat(state(job)).as("%s", job).isEqualTo("CANCELLED");
        await("no host process left with " + marker).atMost(Duration.ofSeconds(10))
                .until(() -> Host.processesWith(marker), List::isEmpty);
        Api.Answer again = api.delete("/v1/jobs/" + id);
        assertThat(again.status()).as("cancelling a final job: %s", again).isEqualTo(200);
        assertThat(state(again.json())).isEqualTo("CANCELLED");
    }

    @Test
    void cancelOfAQueuedJobEndsItAtOnceAndItNeverRuns() {
        // a job that reserves all of the node's memory leaves no room: the next one stays QUEUED
        ObjectNode blocker = spec("sleep", "120");
        blocker.putObject("resources").put("memoryMb", hangar.agent().config().memoryMb());
        String blockerId = api.submit(blocker).path("id").asText();
        api.awaitState(blockerId, "RUNNING");
        String id = api.submit(spec("echo", "never")).path("id").asText();
        assertThat(state(api.job(id))).isEqualTo("QUEUED");

        Api.Answer cancel = api.delete("/v1/jobs/" + id);

        assertThat(cancel.status()).as("%s", cancel).isEqualTo(200);
        assertThat(state(cancel.json())).as("%s", cancel).isEqualTo("CANCELLED");
        assertThat(api.delete("/v1/jobs/" + blockerId).status()).isEqualTo(202);
        assertThat(state(api.awaitFinal(blockerId))).isEqualTo("CANCELLED");
        assertNextJobRuns();
        JsonNode job = api.job(id);
        assertThat(state(job)).isEqualTo("CANCELLED");
        assertThat(job.path("deliveries").asInt()).as("%s", job).isZero();
        assertThat(job.path("timings").has("runningAt")).as("%s", job).isFalse();
        assertThat(api.logs(id)).isEmpty();
    }

    @Test
    void cancelOfAnUnknownJobIsAProblem404() {
        Api.Answer answer = api.delete("/v1/jobs/j-nosuchjob0000000000");

        assertThat(answer.status()).as("%s", answer).isEqualTo(404);
        assertThat(answer.contentType()).startsWith("application/problem+json");
        assertThat(answer.json().path("status").asInt()).isEqualTo(404);
        assertThat(api.get("/v1/jobs/j-nosuchjob0000000000").status()).isEqualTo(404);
    }

    @Test
    void timeoutStopsABusyLoop() {
        String marker = Host.marker();
        ObjectNode spec = spec("sh", "-c", "while :; do :; done", marker);
        spec.put("timeoutSeconds", 2);
        String id = api.submit(spec).path("id").asText();

        JsonNode job = api.awaitFinal(id);

        assertThat(state(job)).as("%s", job).isEqualTo("TIMED_OUT");
        assertThat(job.path("error").asText().toLowerCase()).as("%s", job).contains("timeout");
        await("no host process left with " + marker).atMost(Duration.ofSeconds(10))
                .until(() -> Host.processesWith(marker), List::isEmpty);
    }

    @Test
    void forkBombHitsThePidsLimitAndTheHostStaysHealthy() {
        int before = Host.processCount();
        ObjectNode spec = spec("sh", "-c", "bomb() { bomb | bomb & }; bomb; sleep 60");
        spec.putObject("resources").put("pids", 64);
        spec.put("timeoutSeconds", 8);
        String id = api.submit(spec).path("id").asText();

        JsonNode job = api.awaitFinal(id);

        assertThat(state(job)).as("%s", job).isIn("FAILED", "TIMED_OUT");
        assertThat(job.path("error").asText()).as("%s", job).contains("pids");
        await("host process count back near " + before).atMost(Api.WAIT)
                .until(Host::processCount, count -> count <= before + 20);
        assertNextJobRuns();
    }

    @Test
    void memoryBombIsKilledAtItsLimit() {
        failsAtItsMemoryLimit("");
        assertNextJobRuns();
    }

    @Test
    void aJobThatExitsZeroAfterAPartOfItWasKilledAtItsMemoryLimitFails() {
        // the shell goes on after its pipeline was killed and exits 0; this used to be SUCCEEDED, the kill untold
        JsonNode job = failsAtItsMemoryLimit("; echo went on");

        assertThat(job.path("exitCode").asInt(-1)).as("%s", job).isZero();
        assertThat(job.path("error").asText()).as("%s", job).contains("stopped at a limit");
        assertThat(api.stdout(job.path("id").asText())).isEqualTo("went on\n");
    }

    /** A job of 64 MiB whose pipeline holds a gigabyte, then runs {@code after}: FAILED, its error naming memory. */
    private JsonNode failsAtItsMemoryLimit(String after) {
        // tail keeps the last line, and a gigabyte of zeros has no line break: it holds it all
        // (GNU head takes "1G", not "1g": a typo here would make tail read nothing and succeed)
        ObjectNode spec = spec("sh", "-c", "head -c 1G /dev/zero | tail" + after);
        spec.putObject("resources").put("memoryMb", 64);
        JsonNode job = api.awaitFinal(api.submit(spec).path("id").asText());
        assertThat(state(job)).as("%s", job).isEqualTo("FAILED");
        assertThat(job.path("error").asText()).as("%s", job).contains("memory");
        return job;
    }

    @Test
    void outputIsCutAtOutputBytes() {
        ObjectNode spec = spec("head", "-c", "100000", "/dev/zero");
        spec.putObject("resources").put("outputBytes", 1000);
        String id = api.submit(spec).path("id").asText();

        JsonNode job = api.awaitFinal(id);

        assertThat(state(job)).as("%s", job).isEqualTo("SUCCEEDED");
        assertThat(job.path("outputTruncated").asBoolean()).as("%s", job).isTrue();
        assertThat(api.output(id, "STDOUT")).hasSize(1000);
    }

    @Test
    void noNetworkByDefault() {
        String id = api.submit(spec("cat", "/proc/net/dev")).path("id").asText();

        JsonNode job = api.awaitFinal(id);

        assertThat(state(job)).as("%s", job).isEqualTo("SUCCEEDED");
        String dev = api.stdout(id);
        Set<String> interfaces = new LinkedHashSet<>();
        for (String line : dev.split("\n")) {
            int colon = line.indexOf(':');
            if (colon > 0 && !line.contains("|")) {
                interfaces.add(line.substring(0, colon).trim());
            }
        }
        assertThat(interfaces).as("interfaces in /proc/net/dev:\n%s", dev).containsExactly("lo");
    }

    @Test
    void sameIdempotencyKeyMakesOneJob() {
        String key = "it-" + UUID.randomUUID();
        ObjectNode spec = spec("echo", "once");
        spec.put("idempotencyKey", key);

        Api.Answer first = api.postJobs(spec);
        Api.Answer second = api.postJobs(spec);

        assertThat(first.status()).as("%s", first).isEqualTo(201);
        assertThat(second.status()).as("%s", second).isEqualTo(200);
        assertThat(second.json().path("id").asText()).isEqualTo(first.json().path("id").asText());
        List<JsonNode> withKey = allJobs("").stream()
                .filter(job -> key.equals(job.path("spec").path("idempotencyKey").asText(null)))
                .toList();
        assertThat(withKey).hasSize(1);

        // the same key for another job is a mistake the submitter must hear of, not a silent repeat
        Api.Answer other = api.postJobs(spec("echo", "another").put("idempotencyKey", key));
        assertThat(other.status()).as("%s", other).isEqualTo(409);
        assertThat(other.firstErrorField()).isEqualTo("idempotencyKey");
        assertThat(other.json().path("detail").asText()).contains(first.json().path("id").asText());
    }

    @Test
    void listFiltersByStateAndPagesThroughEveryJobOnce() {
        List<String> mine = new ArrayList<>();
        for (int i = 0; i < 5; i++) {
            mine.add(api.submit(spec("echo", "page-" + i)).path("id").asText());
        }
        mine.forEach(api::awaitFinal);

        Api.Answer succeeded = api.get("/v1/jobs?state=SUCCEEDED&limit=500");
        assertThat(succeeded.status()).as("%s", succeeded).isEqualTo(200);
        List<String> succeededIds = new ArrayList<>();
        for (JsonNode job : succeeded.json().path("jobs")) {
            assertThat(state(job)).as("a job listed under state=SUCCEEDED").isEqualTo("SUCCEEDED");
            succeededIds.add(job.path("id").asText());
        }
        assertThat(succeededIds).containsAll(mine);

        // the jobs of the node that ran them, and of no other
        String node = api.job(mine.getFirst()).path("node").asText();
        Api.Answer onNode = api.get("/v1/jobs?node=" + node + "&state=SUCCEEDED&limit=500");
        assertThat(onNode.status()).as("%s", onNode).isEqualTo(200);
        assertThat(onNode.json().path("jobs").findValuesAsText("node")).as("%s", onNode).containsOnly(node);
        assertThat(onNode.json().path("jobs").findValuesAsText("id")).containsAll(mine);
        assertThat(api.get("/v1/jobs?node=not-" + node).json().path("jobs")).as("another node's jobs").isEmpty();

        long total = api.jobCount();
        List<String> paged = allJobs("&limit=2").stream().map(job -> job.path("id").asText()).toList();
        assertThat(new HashSet<>(paged)).as("ids repeated across pages: %s", paged).hasSize(paged.size());
        assertThat(paged).hasSize((int) total).containsAll(mine);
        // newest first
        List<String> mineInListOrder = paged.stream().filter(mine::contains).toList();
        assertThat(mineInListOrder).isEqualTo(mine.reversed());
    }

    @Test
    void listRefusesBadParameters() {
        Api.Answer state = api.get("/v1/jobs?state=NOPE");
        assertThat(state.status()).as("%s", state).isEqualTo(400);
        assertThat(state.contentType()).startsWith("application/problem+json");
        assertThat(state.firstErrorField()).isEqualTo("state");

        Api.Answer limit = api.get("/v1/jobs?limit=0");
        assertThat(limit.status()).as("%s", limit).isEqualTo(400);
        assertThat(limit.firstErrorField()).isEqualTo("limit");

        Api.Answer cursor = api.get("/v1/jobs?cursor=not-a-cursor");
        assertThat(cursor.status()).as("%s", cursor).isEqualTo(400);
        assertThat(cursor.firstErrorField()).isEqualTo("cursor");

        Api.Answer node = api.get("/v1/jobs?node=no%20node");
        assertThat(node.status()).as("%s", node).isEqualTo(400);
        assertThat(node.firstErrorField()).isEqualTo("node");
        assertThat(node.json().path("errors").get(0).path("reason").asText()).contains("got 'no node'");
    }

    @Test
    void aQueryParameterThatARequestDoesNotTakeIsRefusedAndNothingIsMade() {
        long before = api.jobCount();

        Api.Answer submit = api.post("/v1/jobs?idempotencyKey=meant-for-the-body", spec("true").toString());

        assertThat(submit.status()).as("%s", submit).isEqualTo(400);
        assertThat(submit.firstErrorField()).isEqualTo("idempotencyKey");
        assertThat(submit.body()).contains("this request takes none");
        assertThat(api.jobCount()).as("no job made").isEqualTo(before);
        String id = api.submit(spec("true")).path("id").asText();
        for (String path : List.of("/v1/jobs/" + id + "?x=1", "/v1/nodes?x=1", "/v1/runtimes?x=1", "/v1/pools?x=1")) {
            Api.Answer answer = api.get(path);
            assertThat(answer.status()).as("%s: %s", path, answer).isEqualTo(400);
            assertThat(answer.firstErrorField()).as(path).isEqualTo("x");
        }
        Api.Answer cancel = api.delete("/v1/jobs/" + id + "?force=true");
        assertThat(cancel.status()).as("%s", cancel).isEqualTo(400);
        assertThat(cancel.firstErrorField()).isEqualTo("force");
    }

    @Test
    void submitAnswersWithTheJobsLocation() {
        Api.Answer answer = api.postJobs(spec("true"));

        assertThat(answer.status()).as("%s", answer).isEqualTo(201);
        String id = answer.json().path("id").asText();
        assertThat(id).isNotBlank();
        assertThat(answer.json().path("timings").hasNonNull("submittedAt")).as("%s", answer).isTrue();
        String location = answer.headers().firstValue("Location").orElse(null);
        assertThat(location).as("Location of %s", answer).isNotNull();
        Api.Answer located = api.get(location);
        assertThat(located.status()).as("%s", located).isEqualTo(200);
        assertThat(located.json().path("id").asText()).isEqualTo(id);
        api.awaitFinal(id);
    }

    @Test
    void logsRefuseAnUnknownFormatAndAnUnknownJob() {
        String id = api.submit(spec("echo", "x")).path("id").asText();
        api.awaitFinal(id);

        Api.Answer format = api.get("/v1/jobs/" + id + "/logs?format=xml");
        assertThat(format.status()).as("%s", format).isEqualTo(400);
        assertThat(format.firstErrorField()).isEqualTo("format");

        Api.Answer after = api.get("/v1/jobs/" + id + "/logs?after=-1");
        assertThat(after.status()).as("%s", after).isEqualTo(400);
        assertThat(after.firstErrorField()).isEqualTo("after");
        // a seq is a long: one past an int's range is a place in the log like any other
        Api.Answer past = api.get("/v1/jobs/" + id + "/logs?format=ndjson&after=" + (Integer.MAX_VALUE + 1L));
        assertThat(past.status()).as("%s", past).isEqualTo(200);
        assertThat(past.body()).isEmpty();

        Api.Answer unknown = api.get("/v1/jobs/j-nosuchjob0000000000/logs?follow=true");
        assertThat(unknown.status()).as("%s", unknown).isEqualTo(404);
        assertThat(unknown.contentType()).startsWith("application/problem+json");

        Api.Answer raw = api.get("/v1/jobs/" + id + "/logs");
        assertThat(raw.status()).as("%s", raw).isEqualTo(200);
        assertThat(raw.body()).isEqualTo("x\n");

        // values are read as the filters read theirs: in any case, and empty as if not given
        for (String query : List.of("?format=RAW", "?format=&follow=&after=", "?follow=TRUE&format=Raw")) {
            Api.Answer same = api.get("/v1/jobs/" + id + "/logs" + query);
            assertThat(same.status()).as("%s: %s", query, same).isEqualTo(200);
            assertThat(same.body()).as(query).isEqualTo("x\n");
        }
        Api.Answer ndjson = api.get("/v1/jobs/" + id + "/logs?format=NDJSON");
        assertThat(ndjson.body()).as("%s", ndjson).startsWith("{");
    }

    @Test
    void runtimesListTheProcessRuntimeAsAvailable() {
        Api.Answer answer = api.get("/v1/runtimes");

        assertThat(answer.status()).as("%s", answer).isEqualTo(200);
        JsonNode process = null;
        for (JsonNode runtime : answer.json()) {
            if ("process".equals(runtime.path("name").asText())) {
                process = runtime;
            }
        }
        assertThat(process).as("runtime 'process' in %s", answer).isNotNull();
        assertThat(process.path("probe").path("available").asBoolean()).as("%s", process).isTrue();
        Duration start = Duration.parse(process.path("probe").path("measuredStart").asText());
        assertThat(start).as("measuredStart of %s", process).isPositive();
    }

    /** Every job, following nextCursor from the first page. */
    private static List<JsonNode> allJobs(String query) {
        var jobs = new ArrayList<JsonNode>();
        String cursor = null;
        for (int pages = 0; pages < 10_000; pages++) {
            Api.Answer page = api.get("/v1/jobs?" + (cursor == null ? "" : "cursor=" + cursor) + query);
            assertThat(page.status()).as("%s", page).isEqualTo(200);
            page.json().path("jobs").forEach(jobs::add);
            cursor = page.json().path("nextCursor").asText(null);
            if (cursor == null) {
                return jobs;
            }
        }
        throw new AssertionError("paging did not end");
    }

    private static void assertNextJobRuns() {
        String id = api.submit(spec("echo", "alive")).path("id").asText();
        JsonNode job = api.awaitFinal(id);
        assertThat(state(job)).as("the next job after a limit was hit: %s", job).isEqualTo("SUCCEEDED");
        assertThat(api.stdout(id)).isEqualTo("alive\n");
    }

    private static Instant instant(JsonNode timings, String field) {
        assertThat(timings.hasNonNull(field)).as("timings.%s in %s", field, timings).isTrue();
        return Instant.parse(timings.path(field).asText());
    }
}
