package dev.hangar.it;

import static dev.hangar.it.Api.state;
import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import com.fasterxml.jackson.databind.JsonNode;
import dev.hangar.cli.Main;
import dev.hangar.client.HangarClient;
import dev.hangar.core.job.Job;
import dev.hangar.core.job.JobState;
import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The hangar command line, run in this JVM against a real server. */
class CliIT extends OneNodeIT {
    @TempDir
    Path work;

    static String url;

    @BeforeAll
    static void prepare() throws Exception {
        url = hangar.url().toString();
    }

    /** What one command did: its exit code and what it printed. */
    record Result(int exitCode, String out, String err) {
        @Override
        public String toString() {
            return "exit " + exitCode + "\n--- stdout\n" + out + "--- stderr\n" + err;
        }
    }

    /** Runs {@code hangar args...} in this JVM, with System.out and System.err captured. */
    static synchronized Result hangar(String... args) {
        var out = new ByteArrayOutputStream();
        var err = new ByteArrayOutputStream();
        PrintStream oldOut = System.out;
        PrintStream oldErr = System.err;
        try (var capturedOut = new PrintStream(out, true, StandardCharsets.UTF_8);
                var capturedErr = new PrintStream(err, true, StandardCharsets.UTF_8)) {
            System.setOut(capturedOut);
            System.setErr(capturedErr);
            int code = Main.run(args);
            capturedOut.flush();
            capturedErr.flush();
            return new Result(code, out.toString(StandardCharsets.UTF_8), err.toString(StandardCharsets.UTF_8));
        } finally {
            System.setOut(oldOut);
            System.setErr(oldErr);
        }
    }

    /** Runs {@code hangar args...} in this JVM with a standard output its reader closed (as {@code | head} leaves it). */
    static synchronized Result hangarIntoAClosedPipe(String... args) {
        var err = new ByteArrayOutputStream();
        PrintStream oldOut = System.out;
        PrintStream oldErr = System.err;
        var closedPipe = new java.io.OutputStream() {
            @Override
            public void write(int b) throws java.io.IOException {
                throw new java.io.IOException("Broken pipe");
            }
        };
        try (var capturedOut = new PrintStream(closedPipe, true, StandardCharsets.UTF_8);
                var capturedErr = new PrintStream(err, true, StandardCharsets.UTF_8)) {
            System.setOut(capturedOut);
            System.setErr(capturedErr);
            int code = Main.run(args);
            return new Result(code, "", err.toString(StandardCharsets.UTF_8));
        } finally {
            System.setOut(oldOut);
            System.setErr(oldErr);
        }
    }

    @Test
    @org.junit.jupiter.api.Timeout(120) // a follow that went on would follow its endless job for ever
    void aRunOrFollowWhoseOutputIsNoLongerReadStopsAndARunCancelsItsJob() {
        String name = "endless-" + System.nanoTime();
        Result run = hangarIntoAClosedPipe("run", "--url", url, "--name", name, "--", "sh", "-c",
                "while :; do echo x; sleep 0.2; done");

        assertThat(run.exitCode()).as("%s", run).isEqualTo(141);
        var client = new HangarClient(URI.create(url));
        Job job = HangarProcess.allJobs(client).stream().filter(j -> name.equals(j.spec().name())).findFirst().orElseThrow();
        assertThat(run.err()).contains("standard output closed; cancelled job " + job.id());
        await().atMost(Api.WAIT).until(() -> client.get(job.id()).state() == JobState.CANCELLED);

        Job other = client.submit(dev.hangar.core.job.JobSpec.of("sh", "-c", "while :; do echo y; sleep 0.2; done"));
        Result follow = hangarIntoAClosedPipe("logs", "--url", url, "-f", other.id());
        assertThat(follow.exitCode()).as("%s", follow).isEqualTo(141);
        assertThat(client.get(other.id()).isFinal()).as("a follow that stops leaves its job be").isFalse();
        client.cancel(other.id());

        // a run given a key stands for the job made first (its first submit's command gone, after a lost answer, say)
        String key = "closed-pipe-" + System.nanoTime();
        String loop = "while :; do echo z; sleep 0.2; done";
        String first = hangar("run", "--url", url, "-d", "--idempotency-key", key, "--", "sh", "-c", loop).out().strip();
        Result repeat = hangarIntoAClosedPipe("run", "--url", url, "--idempotency-key", key, "--", "sh", "-c", loop);
        assertThat(repeat.exitCode()).as("%s", repeat).isEqualTo(141);
        assertThat(repeat.err()).as("%s", repeat).contains("standard output closed; cancelled job " + first);
        await().atMost(Api.WAIT).until(() -> client.get(first).state() == JobState.CANCELLED);
    }

    @Test
    void logsFollowEndsAsRunDoesWithTheJobsExitCodeAndHowItEnded() {
        String id = api.submit(Api.spec("sh", "-c", "echo followed; exit 3")).path("id").asText();

        Result follow = hangar("logs", "--url", url, "-f", id);

        // it used to exit 0 and say nothing of how the job ended
        assertThat(follow.exitCode()).as("%s", follow).isEqualTo(3);
        assertThat(follow.out()).isEqualTo("followed\n");
        assertThat(follow.err()).contains("hangar: job " + id + " FAILED: exited with code 3");
        Result json = hangar("logs", "--url", url, "-f", "--json", id);
        assertThat(json.exitCode()).as("with --json too: %s", json).isEqualTo(3);
        assertThat(json.out()).contains("\"data\"").doesNotContain("hangar: job");
        assertThat(json.err()).contains("hangar: job " + id + " FAILED: exited with code 3");

        var retried = Api.spec("sh", "-c", "exit 4");
        retried.putObject("retry").put("maxAttempts", 2).put("backoffSeconds", 0);
        String dead = api.submit(retried).path("id").asText();
        Result last = hangar("logs", "--url", url, "-f", dead);
        // DEAD keeps its last attempt's code: it used to exit 1
        assertThat(last.exitCode()).as("%s", last).isEqualTo(4);
        assertThat(last.err()).contains("hangar: job " + dead + " DEAD");
    }

    @Test
    void runStreamsOutputAndExitsWithTheJobsExitCode() {
        Result result = hangar("run", "--url", url, "--", "sh", "-c", "echo hi; echo oops >&2; exit 5");

        assertThat(result.exitCode()).as("%s", result).isEqualTo(5);
        assertThat(result.out()).as("%s", result).isEqualTo("hi\n");
        assertThat(result.err()).as("%s", result).contains("oops");
    }

    @Test
    void jobsQuietListsTheIdsOfEveryPageAndCancelTakesManyTellingTheOneNotThere() {
        List<String> made = new ArrayList<>();
        for (int i = 0; i < 3; i++) {
            made.add(hangar("run", "--url", url, "-d", "--", "sleep", "120").out().strip());
        }

        Result quiet = hangar("jobs", "--url", url, "-q", "--state", "QUEUED,SCHEDULED,STARTING,RUNNING");
        assertThat(quiet.exitCode()).as("%s", quiet).isZero();
        assertThat(quiet.out().lines().toList()).as("every matching job: %s", quiet).containsAll(made)
                .allMatch(line -> line.startsWith("j-"));
        Result two = hangar("jobs", "--url", url, "-q", "--limit", "2");
        assertThat(two.out().lines().toList()).as("--limit caps what -q prints: %s", two).hasSize(2);
        assertThat(hangarIntoAClosedPipe("jobs", "--url", url, "-q").exitCode()).as("as | head leaves it").isEqualTo(141);

        Result cancelled = hangar("cancel", "--url", url, made.get(0), "j-nosuch", made.get(1), made.get(2));
        assertThat(cancelled.exitCode()).as("%s", cancelled).isEqualTo(2);
        assertThat(cancelled.err()).as("%s", cancelled).contains("hangar: j-nosuch: ").contains("no job with id 'j-nosuch'");
        var client = new HangarClient(URI.create(url));
        for (String id : made) {
            assertThat(cancelled.out()).contains(id + " ");
            await().atMost(Api.WAIT).until(() -> client.get(id).state() == JobState.CANCELLED);
        }
        Result both = hangar("jobs", "--url", url, "-q", "--json");
        assertThat(both.exitCode()).as("%s", both).isEqualTo(2);
        assertThat(both.err()).as("%s", both).contains("--quiet: give it or --json, not both");
    }

    @Test
    void aDetachedRunPrintsTheJobsIdAtOnceAndTheJobRunsOnWithoutIt() {
        Result run = hangar("run", "--url", url, "-d", "--", "sh", "-c", "sleep 1; echo detached; exit 3");

        assertThat(run.exitCode()).as("%s", run).isZero();
        String id = run.out().trim();
        assertThat(id).as("%s", run).matches("[A-Za-z0-9_-]+");
        Result follow = hangar("logs", "--url", url, "-f", id);
        assertThat(follow.exitCode()).as("%s", follow).isEqualTo(3);
        assertThat(follow.out()).as("%s", follow).isEqualTo("detached\n");

        Result json = hangar("run", "--url", url, "--detach", "--json", "--name", "detached", "--", "true");
        assertThat(json.exitCode()).as("%s", json).isZero();
        assertThat(json.out()).as("%s", json).contains("\"name\":\"detached\"").contains("\"state\":\"QUEUED\"");

        // given a key, a run again makes no second job: -d prints the first's id, a run follows it
        String key = "cli-it-" + System.nanoTime();
        Result first = hangar("run", "--url", url, "-d", "--idempotency-key", key, "--", "sh", "-c", "echo once; exit 4");
        Result again = hangar("run", "--url", url, "-d", "--idempotency-key", key, "--", "sh", "-c", "echo once; exit 4");
        assertThat(again.out()).as("%s %s", first, again).isEqualTo(first.out()).isNotBlank();
        Result followed = hangar("run", "--url", url, "--idempotency-key", key, "--", "sh", "-c", "echo once; exit 4");
        assertThat(followed.exitCode()).as("%s", followed).isEqualTo(4);
        assertThat(followed.out()).as("%s", followed).isEqualTo("once\n");
        Result other = hangar("run", "--url", url, "-d", "--idempotency-key", key, "--", "sh", "-c", "echo other");
        assertThat(other.exitCode()).as("%s", other).isNotZero();
        assertThat(other.err()).as("%s", other).contains("--idempotency-key");

        // never on a node started for it, which would end with the command, and the job with it
        Result nowhere = hangar("run", "--url", "http://127.0.0.1:" + Host.freePort(), "-d", "--", "echo", "local");
        assertThat(nowhere.exitCode()).as("%s", nowhere).isEqualTo(1);
        assertThat(nowhere.out()).as("%s", nowhere).isEmpty();
        assertThat(nowhere.err()).as("%s", nowhere).contains("no Hangar server at").contains("hangar up");
    }

    @Test
    void rerunRunsAJobsSpecAgainAsANewJobAndLeavesTheJobAsItEnded() {
        String key = "rerun-" + System.nanoTime();
        Result failed = hangar("run", "--url", url, "--idempotency-key", key, "--name", key, "--", "sh", "-c", "echo ran; exit 3");
        assertThat(failed.exitCode()).as("%s", failed).isEqualTo(3);
        var client = new HangarClient(URI.create(url));
        Job first = HangarProcess.allJobs(client).stream().filter(j -> key.equals(j.spec().name())).findFirst().orElseThrow();

        Result again = hangar("rerun", "--url", url, first.id());
        assertThat(again.exitCode()).as("%s", again).isEqualTo(3);
        assertThat(again.out()).as("%s", again).isEqualTo("ran\n");
        Result detached = hangar("rerun", "--url", url, "-d", first.id());
        assertThat(detached.exitCode()).as("%s", detached).isZero();
        Result keyed = hangar("rerun", "--url", url, "-d", "--idempotency-key", key + "-again", first.id());
        Result keyedAgain = hangar("rerun", "--url", url, "-d", "--idempotency-key", key + "-again", first.id());
        assertThat(keyedAgain.out()).as("%s", keyedAgain).isEqualTo(keyed.out()).startsWith("j-");
        Result itsOwnKey = hangar("rerun", "--url", url, "-d", "--idempotency-key", key, first.id());
        assertThat(itsOwnKey.exitCode()).as("%s", itsOwnKey).isEqualTo(2);
        assertThat(itsOwnKey.err()).contains("--idempotency-key: '" + key + "' is job " + first.id() + "'s own key");

        List<Job> named = HangarProcess.allJobs(client).stream().filter(j -> key.equals(j.spec().name())).toList();
        assertThat(named).as("each rerun a job of its own, though the first had a key; one per rerun key").hasSize(4)
                .extracting(Job::id).contains(detached.out().strip(), keyed.out().strip());
        assertThat(client.get(keyed.out().strip()).spec().idempotencyKey()).isEqualTo(key + "-again");
        Job firstNow = client.get(first.id());
        assertThat(firstNow.state()).as("the job itself, as it ended").isEqualTo(first.state());
        assertThat(firstNow.timings().finishedAt()).isEqualTo(first.timings().finishedAt());
        assertThat(named).filteredOn(j -> !j.id().equals(first.id()) && !j.id().equals(keyed.out().strip())).allSatisfy(j -> {
            assertThat(j.spec().idempotencyKey()).isNull();
            assertThat(j.spec().command()).isEqualTo(first.spec().command());
        });

        Result none = hangar("rerun", "--url", url, "j-nosuch");
        assertThat(none.exitCode()).as("%s", none).isEqualTo(2);
        assertThat(none.err()).as("%s", none).contains("no job with id 'j-nosuch'");
    }

    @Test
    void runOfASucceedingJobExitsZero() {
        Result result = hangar("run", "--url", url, "-e", "WHO=cli", "--", "sh", "-c", "echo hello $WHO");

        assertThat(result.exitCode()).as("%s", result).isZero();
        assertThat(result.out()).as("%s", result).isEqualTo("hello cli\n");
    }

    @Test
    void runThatTimesOutExits124() {
        Result result = hangar("run", "--url", url, "--timeout", "1s", "--", "sleep", "30");

        assertThat(result.exitCode()).as("%s", result).isEqualTo(124);
        assertThat(result.err()).as("%s", result).contains("TIMED_OUT").contains("timed out after 1 s");
    }

    @Test
    void submitJobsLogsAndCancel() throws Exception {
        Path spec = work.resolve("job.json");
        Files.writeString(spec, "{\"command\": [\"sh\", \"-c\", \"echo from-file; echo to-err >&2\"], \"name\": \"cli-it\"}");

        Result submit = hangar("submit", "--url", url, "-f", spec.toString());

        assertThat(submit.exitCode()).as("%s", submit).isZero();
        String id = submit.out().trim();
        assertThat(id).as("%s", submit).matches("[A-Za-z0-9_-]+");
        assertThat(state(api.awaitFinal(id))).isEqualTo("SUCCEEDED");

        Result jobs = hangar("jobs", "--url", url, "--json");
        assertThat(jobs.exitCode()).as("%s", jobs).isZero();
        JsonNode page = Api.JSON.readTree(jobs.out());
        List<String> ids = new ArrayList<>();
        page.path("jobs").forEach(job -> ids.add(job.path("id").asText()));
        assertThat(ids).as("%s", jobs).contains(id);

        Result table = hangar("jobs", "--url", url);
        assertThat(table.exitCode()).as("%s", table).isZero();
        assertThat(table.out()).as("%s", table).contains("ID", "STATE", id, "SUCCEEDED");
        // a state in any case, as the API reads it
        Result succeeded = hangar("jobs", "--url", url, "--state", "succeeded,Failed");
        assertThat(succeeded.exitCode()).as("%s", succeeded).isZero();
        assertThat(succeeded.out()).as("%s", succeeded).contains(id);
        // the next page's command asks the same server for the same jobs
        assertThat(state(api.awaitFinal(api.submit(Api.spec("true")).path("id").asText()))).isEqualTo("SUCCEEDED");
        Result first = hangar("jobs", "--url", url, "--state", "SUCCEEDED", "--limit", "1");
        assertThat(first.out()).as("%s", first).containsPattern("more: hangar jobs --url " + java.util.regex.Pattern.quote(url)
                + " --state SUCCEEDED --limit 1 --cursor \\S+\n");

        Result logs = hangar("logs", "--url", url, id);
        assertThat(logs.exitCode()).as("%s", logs).isZero();
        assertThat(logs.out()).as("%s", logs).isEqualTo("from-file\n");
        assertThat(logs.err()).as("%s", logs).isEqualTo("to-err\n");

        Result late = hangar("cancel", "--url", url, id);
        assertThat(late.exitCode()).as("%s", late).isZero();
        assertThat(late.out()).as("%s", late).isEqualTo(id + " SUCCEEDED: it had ended; nothing to cancel\n");
    }

    @Test
    void cancelStopsARunningJob() {
        String id = api.submit(Api.spec("sleep", "60")).path("id").asText();
        api.awaitState(id, "RUNNING");

        Result cancel = hangar("cancel", "--url", url, id);

        assertThat(cancel.exitCode()).as("%s", cancel).isZero();
        assertThat(cancel.out()).as("%s", cancel).startsWith(id);
        assertThat(state(api.awaitFinal(id))).isEqualTo("CANCELLED");
    }

    @Test
    void cancelOfAnUnknownJobFails() {
        Result cancel = hangar("cancel", "--url", url, "j-nosuchjob0000000000");

        assertThat(cancel.exitCode()).as("%s", cancel).isEqualTo(2);
        assertThat(cancel.err()).as("%s", cancel).startsWith("hangar:");
    }

    @Test
    void runtimesPrintsATable() {
        Result runtimes = hangar("runtimes", "--url", url);

        assertThat(runtimes.exitCode()).as("%s", runtimes).isZero();
        assertThat(runtimes.out()).as("%s", runtimes).contains("RUNTIME", "STATUS");
        String processRow = runtimes.out().lines().filter(line -> line.startsWith("process")).findFirst().orElse("");
        assertThat(processRow).as("%s", runtimes).contains("available");
    }

    @Test
    void badSpecFileExitsTwoAndNamesTheField() throws Exception {
        long before = api.jobCount();
        Path spec = work.resolve("bad.json");
        Files.writeString(spec, "{\"command\": [\"true\"], \"resources\": {\"memoryMb\": -5}}");

        Result submit = hangar("submit", "--url", url, "-f", spec.toString());

        assertThat(submit.exitCode()).as("%s", submit).isEqualTo(2);
        assertThat(submit.err()).as("%s", submit).contains("resources.memoryMb");
        assertThat(submit.out()).as("%s", submit).isEmpty();
        assertThat(api.jobCount()).isEqualTo(before);
    }

    @Test
    void aRefusalOfACommandAskedForJsonIsTheServersProblemDocument() throws Exception {
        Path spec = work.resolve("bad-for-json.json");
        Files.writeString(spec, "{\"command\": [\"true\"], \"resources\": {\"memoryMb\": -5}}");

        Result submit = hangar("submit", "--url", url, "--json", "-f", spec.toString());

        assertThat(submit.exitCode()).as("%s", submit).isEqualTo(2);
        assertThat(submit.out()).as("%s", submit).isEmpty();
        JsonNode problem = Api.JSON.readTree(submit.err());
        assertThat(problem.path("status").asInt()).as("%s", submit).isEqualTo(400);
        assertThat(problem.path("errors").get(0).path("field").asText()).isEqualTo("resources.memoryMb");
    }

    @Test
    void badOptionsAreRefusedNamingTheOptionBeforeAnythingIsMade() {
        Path dataDir = work.resolve("never-made");
        Map<List<String>, String> refusals = new java.util.LinkedHashMap<>();
        refusals.put(List.of("submit", "--url", url, "-f", work.resolve("nosuch.json").toString()), "--file: ");
        refusals.put(List.of("submit", "--url", url, "-f", work.toString()), "is a directory");
        refusals.put(List.of("jobs", "--url", "ftp://example.org"), "--url (or HANGAR_URL): must be an http://");
        refusals.put(List.of("jobs", "--url", url + "/?x=1"), "--url (or HANGAR_URL): must not have a query");
        refusals.put(List.of("nodes", "--url", url + "/v1"), "--url (or HANGAR_URL): give the server's address without /v1");
        refusals.put(List.of("up", "--data-dir", dataDir.toString(), "--host", "192.0.2.1", "--port", "0"),
                "--host 192.0.2.1 (192.0.2.1) is not an address of this machine");
        refusals.put(List.of("up", "--data-dir", dataDir.toString(), "--runtimes", "bogus"), "--runtimes: unknown runtime 'bogus'");
        refusals.put(List.of("up", "--data-dir", dataDir.toString(), "--host", "0.0.0.0", "--port", "0"),
                "--host 0.0.0.0: other machines reach a server there, so it needs API tokens");
        refusals.put(List.of("server", "--redis", "redis://127.0.0.1:1", "--host", "0.0.0.0", "--port", "0"),
                "--host 0.0.0.0: other machines reach a server there, so it needs API tokens");
        refusals.put(List.of("up", "--data-dir", dataDir.toString(), "--pool", "runtime=process,min=-1"), "--pool runtime=process,min=-1: min ");
        refusals.put(List.of("up", "--data-dir", dataDir.toString(), "--pool", "runtime=docker"),
                "--pool runtime=docker: runtime 'docker' is not a runtime this Hangar has; runtimes: gvisor, kata, podman, process");
        refusals.put(List.of("up", "--data-dir", dataDir.toString(), "--lease-seconds", "0"), "--lease-seconds must be from 3");
        refusals.put(List.of("up", "--data-dir", dataDir.toString(), "--max-jobs", "0"), "--max-jobs must be from 1");
        refusals.put(List.of("up", "--data-dir", dataDir.toString(), "--memory-mb", "1"), "--memory-mb must be from 64 to ");
        refusals.put(List.of("up", "--data-dir", dataDir.toString(), "--gpus", "9"), "--gpus 9: no GPU '9' on this host");
        refusals.put(List.of("up", "--data-dir", dataDir.toString(), "--retention", "7 days"), "--retention must be an ISO-8601");
        refusals.put(List.of("up", "--data-dir", dataDir.toString(), "--retention", "P1D", "--redis", "redis://127.0.0.1:1"),
                "--retention is for the embedded store");
        refusals.put(List.of("up", "--data-dir", dataDir.toString(), "--create-timeout-seconds", "0"),
                "--create-timeout-seconds must be from 1 to 86400");
        refusals.put(List.of("up", "--data-dir", dataDir.toString(), "--node-name", "a b{x}"),
                "--node-name must be 1 to 63 letters, digits or . _ -");
        refusals.put(List.of("up", "--data-dir", dataDir.toString(), "--allow-mount", "relative/path"), "--allow-mount must be an absolute");
        refusals.put(List.of("up", "--data-dir", dataDir.toString(), "--label", "zone"), "--label: 'zone' is not KEY=VALUE");
        refusals.put(List.of("run", "--url", "http://127.0.0.1:1", "--node-selector", "zone=r1", "--", "true"),
                "nodeSelector (--node-selector): no server answers to choose a node by its labels");
        refusals.put(List.of("run", "--url", url, "--node-selector", "zone r1", "--", "true"),
                "--node-selector: 'zone r1' is not KEY=VALUE");
        refusals.put(List.of("bench", "queue", "--queue", work.resolve("q.db").toString()), "no queue backend for a location without a scheme");
        refusals.put(List.of("server", "--redis", "redis://127.0.0.1:99999"), "the port of a redis location must be 1 to 65535");
        refusals.put(List.of("server", "--redis", "rediss://127.0.0.1:6380/?tlsCa=" + work.resolve("no-ca.pem")),
                "tlsCa: no readable file at '" + work.resolve("no-ca.pem") + "'");
        refusals.put(List.of("up", "--data-dir", dataDir.toString(), "--port", "0", "--tokens", work.resolve("no-tokens").toString()),
                "--tokens (or HANGAR_TOKENS_FILE): tokens file " + work.resolve("no-tokens") + ": cannot be read");
        refusals.put(List.of("token", "--tenant", "Team A"), "--tenant: must be 1 to 63 lower-case letters");

        refusals.put(List.of("run", "--url", url, "-e", "A=1", "-e", "A=2", "--", "true"), "-e/--env: A is given twice");
        refusals.put(List.of("up", "--data-dir", work.resolve("a-file").toString(), "--port", "0"), "is a file, not a directory");
        refusals.put(List.of("image", "rm", "--data-dir", work.resolve("no-images").toString(), "busybox"),
                "is built in and not made yet");
        String underAFile = work.resolve("a-file").resolve("data").toString();
        refusals.put(List.of("up", "--data-dir", underAFile, "--port", "0"),
                "--data-dir " + underAFile + ": cannot make the directory (Not a directory");
        refusals.put(List.of("agent", "--redis", "redis://127.0.0.1:1", "--data-dir", underAFile),
                "--data-dir " + underAFile + ": cannot make the directory");
        refusals.put(List.of("image", "ls", "--data-dir", underAFile), "--data-dir " + underAFile + ": cannot make the directory");

        try (var taken = new java.net.ServerSocket(0, 1, java.net.InetAddress.getLoopbackAddress())) {
            Files.writeString(work.resolve("a-file"), "not a directory");
            refusals.put(List.of("up", "--data-dir", dataDir.toString(), "--port", String.valueOf(taken.getLocalPort())),
                    "--port " + taken.getLocalPort() + " is in use");
            refusals.forEach((args, reason) -> {
                Result result = hangar(args.toArray(String[]::new));
                assertThat(result.exitCode()).as("%s: %s", args, result).isIn(1, 2);
                assertThat(result.err()).as("%s", args).contains(reason).doesNotContain("Exception", "\tat ");
            });
        } catch (java.io.IOException e) {
            throw new java.io.UncheckedIOException(e);
        }
        assertThat(dataDir).as("no data dir left by a refused up").doesNotExist();
    }

    @Test
    void aTokenMadeByTheCliLetsItsTenantUseAServerWithTokensAndNoOtherCallDoes() throws Exception {
        Result made = hangar("token", "--tenant", "team-a");
        assertThat(made.exitCode()).as("%s", made).isZero();
        String token = made.out().lines().filter(l -> l.startsWith("token: ")).findFirst().orElseThrow().substring(7);
        String line = made.out().lines().filter(l -> l.startsWith("tokens file line: ")).findFirst().orElseThrow()
                .substring("tokens file line: ".length());
        assertThat(line).startsWith("team-a sha256:").doesNotContain(token);
        Path tokens = Files.writeString(work.resolve("tokens"), line + "\n");
        try (var guarded = dev.hangar.cli.EmbeddedHangar.start(null, Files.createDirectories(work.resolve("guarded")),
                work.resolve("guarded-images"), "127.0.0.1", 0,
                dev.hangar.agent.AgentConfig.forThisHost("guarded").withRuntimes(java.util.Set.of("process")),
                java.util.Optional.of(dev.hangar.server.auth.ApiTokens.read(tokens)))) {
            String at = guarded.url().toString();
            Result refused = hangar("jobs", "--url", at);
            assertThat(refused.exitCode()).as("%s", refused).isNotZero();
            assertThat(refused.err()).contains("Unauthorized").contains("needs an API token")
                    .contains("give the token with --token, or in HANGAR_TOKEN");
            assertThat(hangar("jobs", "--url", at, "--token", "not-the-token-of-anyone").err()).contains("not known here");

            Result run = hangar("run", "--url", at, "--token", token, "--", "echo", "with a token");
            assertThat(run.exitCode()).as("%s", run).isZero();
            assertThat(run.out()).contains("with a token");
            Result jobs = hangar("jobs", "--url", at, "--token", token, "--json");
            assertThat(jobs.out()).contains("\"tenant\":\"team-a\"");
            Result others = hangar("jobs", "--url", at, "--token", token, "--tenant", "team-b");
            assertThat(others.exitCode()).isEqualTo(2);
            assertThat(others.err()).contains("Forbidden").contains("tenant: is not this token's tenant (team-a)");
        }
    }

    @Test
    void everySubcommandTakesHelp() {
        for (String command : List.of("up", "server", "agent", "run", "submit", "jobs", "logs", "cancel", "pools", "nodes")) {
            Result help = hangar(command, "--help");
            assertThat(help.exitCode()).as("%s --help: %s", command, help).isZero();
            assertThat(help.out()).as("%s --help", command).contains("Usage: hangar " + command);
        }
    }

    @Test
    void aRedisLocationThatDoesNotParseIsShownWithoutItsPassword() {
        for (String location : List.of("redis://:s3%zzcr3t@10.0.0.5:6379", "redis://:s3 cr3t@10.0.0.5:6379",
                "redis://:s3/cr3t@10.0.0.5:6379", "redis-sentinel://10.0.0.5/?master=m&sentinelPassword=s3&cr3t")) {
            Result agent = hangar("agent", "--redis", location);

            assertThat(agent.exitCode()).as("%s", agent).isEqualTo(2);
            assertThat(agent.err()).as("%s", agent).contains("10.0.0.5").doesNotContain("cr3t");
        }
        Result ipv6 = hangar("agent", "--redis", "redis-sentinel://:s3cr3t@[::1]:26379,[::2]:26379/?master=m");
        assertThat(ipv6.exitCode()).as("%s", ipv6).isEqualTo(2);
        assertThat(ipv6.err()).as("%s", ipv6).contains("?sentinels=[::2]:26379").doesNotContain("cr3t");
    }

    @Test
    void runOfABadSpecExitsTwoAndNamesTheField() {
        long before = api.jobCount();

        Result result = hangar("run", "--url", url, "--priority", "42", "--", "true");

        assertThat(result.exitCode()).as("%s", result).isEqualTo(2);
        assertThat(result.err()).as("%s", result).contains("priority (--priority): must be between 0 and 9");
        assertThat(api.jobCount()).isEqualTo(before);
    }

    @Test
    void runWithJsonPrintsTheJobAloneOnStdoutAndItsOutputOnStderr() throws Exception {
        Result result = hangar("run", "--url", url, "--json", "--", "sh", "-c", "echo out; echo err >&2");

        assertThat(result.exitCode()).as("%s", result).isZero();
        assertThat(state(Api.JSON.readTree(result.out()))).as("%s", result).isEqualTo("SUCCEEDED");
        assertThat(result.err()).as("%s", result).contains("out\n").contains("err\n");
    }

    @Test
    void anInterruptedRunCancelsItsJob() throws Exception {
        String name = "interrupted-" + System.nanoTime();
        var client = new HangarClient(URI.create(url));
        var run = new HangarProcess("run-interrupted", work.resolve("run-interrupted"), "run", "--url", url, "--name", name, "--",
                "sleep", "120");
        // in a JVM of its own: a signal reaches it as Ctrl-C or a service manager would send it
        Path err = work.resolve("run-interrupted").resolve("run-interrupted-1.err");
        run.start(() -> Files.exists(err) && HangarProcess.allJobs(client).stream()
                .anyMatch(job -> name.equals(job.spec().name()) && job.state() == JobState.RUNNING));

        run.terminate();

        Job job = HangarProcess.allJobs(client).stream().filter(j -> name.equals(j.spec().name()))
                .findFirst().orElseThrow();
        assertThat(Files.readString(err)).contains("interrupted; cancelled job " + job.id());
        await().atMost(Api.WAIT).until(() -> client.get(job.id()).state() == JobState.CANCELLED);
    }

    @Test
    void anInterruptedRunWithoutAServerLeavesNoStoreBehind() throws Exception {
        Path tmp = Files.createDirectories(work.resolve("tmp"));
        String nowhere = "http://127.0.0.1:" + Host.freePort();
        var run = new HangarProcess("local-interrupted", work.resolve("local-interrupted"), "run", "--url", nowhere, "--",
                "sh", "-c", "echo started; sleep 120").jvm("-Djava.io.tmpdir=" + tmp);
        run.start(() -> {
            try {
                return Files.exists(run.stdout()) && Files.readString(run.stdout()).contains("started");
            } catch (java.io.IOException e) {
                return false;
            }
        });
        try (var entries = Files.list(tmp)) {
            assertThat(entries.map(p -> p.getFileName().toString())).as("its store, while it runs")
                    .anyMatch(n -> n.startsWith("hangar-run-"));
        }

        run.terminate();

        try (var entries = Files.list(tmp)) {
            assertThat(entries.map(p -> p.getFileName().toString())).as("the store holds the job's env and stdin")
                    .noneMatch(n -> n.startsWith("hangar-run-"));
        }
    }

    @Test
    void runWithoutAServerStartsANodeInProcess() {
        String nowhere = "http://127.0.0.1:" + Host.freePort();

        Result result = hangar("run", "--url", nowhere, "--", "sh", "-c", "echo local; exit 3");

        assertThat(result.exitCode()).as("%s", result).isEqualTo(3);
        assertThat(result.out()).as("%s", result).isEqualTo("local\n");
    }

    @Test
    void runForAServerOnAnotherHostThatDoesNotAnswerFailsRatherThanRunningTheJobHere() {
        // .invalid never resolves: a host that is not this one, and is not there
        Result result = hangar("run", "--url", "http://hangar.invalid:7070", "--", "sh", "-c", "echo local");

        assertThat(result.exitCode()).as("%s", result).isEqualTo(1);
        assertThat(result.out()).as("%s", result).isEmpty();
        assertThat(result.err()).as("%s", result).contains("no Hangar server at http://hangar.invalid:7070")
                .doesNotContain("on this host");
    }

    @Test
    void aFollowWithNoServerThereFailsAtOnceRatherThanWaitingForOneToComeBack() {
        String nowhere = "http://127.0.0.1:" + Host.freePort();
        long began = System.nanoTime();

        Result result = hangar("logs", "-f", "--url", nowhere, "j-0000000000000000000a");

        assertThat(result.exitCode()).as("%s", result).isEqualTo(1);
        assertThat(result.err()).as("%s", result).contains("no Hangar server at " + nowhere);
        assertThat(java.time.Duration.ofNanos(System.nanoTime() - began)).isLessThan(java.time.Duration.ofSeconds(20));
    }

    @Test
    void commandsOtherThanRunNeedAServer() {
        String nowhere = "http://127.0.0.1:" + Host.freePort();

        Result result = hangar("jobs", "--url", nowhere);

        assertThat(result.exitCode()).as("%s", result).isEqualTo(1);
        assertThat(result.err()).as("%s", result).contains("hangar up");
    }

    @Test
    void imagesAreImportedListedUsedAndRemoved() throws Exception {
        Path rootfs = java.nio.file.Files.createDirectories(work.resolve("rootfs/etc"));
        java.nio.file.Files.writeString(rootfs.resolve("motd"), "from-an-imported-image");
        String store = work.resolve("node").toString();

        Result imported = hangar("image", "import", "--data-dir", store, "motd-image", work.resolve("rootfs").toString());
        Result listed = hangar("image", "ls", "--data-dir", store);
        Result again = hangar("image", "import", "--data-dir", store, "motd-image", work.resolve("rootfs").toString());
        Result removed = hangar("image", "rm", "--data-dir", store, "motd-image");
        Result gone = hangar("image", "rm", "--data-dir", store, "motd-image");

        assertThat(imported.exitCode()).as("%s", imported).isZero();
        assertThat(listed.out()).contains("motd-image").contains("busybox").contains("built-in, made on first use");
        assertThat(again.exitCode()).as("%s", again).isEqualTo(2);
        assertThat(again.err()).contains("exists");
        assertThat(removed.exitCode()).as("%s", removed).isZero();
        assertThat(gone.exitCode()).as("not there, as a job not found is; it was 1: %s", gone).isEqualTo(2);
        Result notBuiltIn = hangar("image", "build", "--data-dir", store, "motd-image");
        assertThat(notBuiltIn.exitCode()).as("%s", notBuiltIn).isEqualTo(2);
        assertThat(notBuiltIn.err()).contains("'motd-image' is not a built-in image").contains("hangar image import");
    }

    /** A sandbox on an image (held here, as a running job's is) keeps its files after `rm`, and both commands say so. */
    @Test
    void anImageRemovedUnderASandboxIsListedAsKeptUntilTheSandboxLetsGo() throws Exception {
        Path rootfs = java.nio.file.Files.createDirectories(work.resolve("kept-rootfs/etc"));
        java.nio.file.Files.writeString(rootfs.resolve("motd"), "kept");
        String store = work.resolve("kept-node").toString();
        assertThat(hangar("image", "import", "--data-dir", store, "kept-image", rootfs.getParent().toString()).exitCode()).isZero();
        var images = new dev.hangar.images.LocalImageStore(Path.of(store, "images"));

        Result removed;
        Result listed;
        try (var sandbox = images.hold("kept-image")) {
            removed = hangar("image", "rm", "--data-dir", store, "kept-image");
            listed = hangar("image", "ls", "--data-dir", store);
        }
        Result after = hangar("image", "ls", "--data-dir", store);

        assertThat(removed.exitCode()).as("%s", removed).isZero();
        assertThat(removed.out()).contains("removed kept-image").contains("KiB) are kept while a sandbox on this host runs on it");
        assertThat(listed.out()).as("%s", listed).contains("kept-image (removed)").contains("deleted when the last one ends");
        assertThat(after.out()).as("%s", after).doesNotContain("kept-image");
    }

    @Test
    void anImageOfTheNodeRunsAJob() {
        Result result = hangar("run", "--url", url, "--image", "busybox", "--", "sh", "-c", "ls /bin/busybox && echo in-busybox");
        assertThat(result.exitCode()).as("%s", result).isZero();
        assertThat(result.out()).contains("in-busybox");
    }

    @Test
    void anUnknownImageIsRefusedNamingTheField() {
        Result result = hangar("run", "--url", url, "--image", "nope", "--", "true");
        assertThat(result.exitCode()).as("%s", result).isEqualTo(2);
        assertThat(result.err()).contains("image (--image): unknown image 'nope'");
    }
}
