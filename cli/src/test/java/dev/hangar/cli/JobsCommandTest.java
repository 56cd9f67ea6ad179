package dev.hangar.cli;

import static org.assertj.core.api.Assertions.assertThat;

import dev.hangar.core.json.Json;
import java.io.IOException;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/** {@code hangar jobs} against a stand-in for the server that answers a page as the API does. */
class JobsCommandTest {
    private static final String PAGE = """
            {"jobs": [
              {"id": "j-stranded", "state": "QUEUED", "spec": {"command": ["nvidia-smi"]}, "timings": {},
               "waiting": "no node that is up can run it: gpus: none (test)"},
              {"id": "j-runnable", "state": "QUEUED", "spec": {"command": ["true"]}, "timings": {}},
              {"id": "j-running", "state": "RUNNING", "spec": {"command": ["train.py"]}, "timings": {},
               "node": "gpu-07", "runtime": "podman"}
            ]}""";

    private StandInApi api;

    @BeforeEach
    void serve() throws IOException {
        api = new StandInApi("/v1/jobs", PAGE);
    }

    @AfterEach
    void stopServing() {
        api.close();
    }

    private String jobs(String... options) {
        return api.run("jobs", options);
    }

    @Test
    void aQueuedJobNoNodeUpCanRunIsMarkedAndItsReasonPrintedUnderTheTable() {
        String printed = jobs();

        assertThat(printed).containsPattern("j-stranded +QUEUED \\(waits\\) ");
        assertThat(printed).containsPattern("j-runnable +QUEUED +- ");
        assertThat(printed).contains("j-stranded waits: no node that is up can run it: gpus: none (test)");
        assertThat(printed).doesNotContain("j-runnable waits");
    }

    @Test
    void eachJobNamesTheNodeThatRunsIt() {
        String printed = jobs();

        assertThat(printed).containsPattern("ID +STATE +NODE +RUNTIME ");
        assertThat(printed).containsPattern("j-running +RUNNING +gpu-07 +podman +- ");
        assertThat(printed).containsPattern("j-runnable +QUEUED +- +- ");
    }

    @Test
    void aNodesJobsAreAskedForAndTheNextPagesCommandAsksForThemToo() throws IOException {
        try (var paged = new StandInApi("/v1/jobs", """
                {"jobs": [{"id": "j-1", "state": "RUNNING", "spec": {"command": ["true"]}, "timings": {}, "node": "gpu-07"}],
                 "nextCursor": "c2"}""")) {
            String printed = paged.run("jobs", "--node", "gpu-07", "--state", "RUNNING");

            assertThat(paged.asked()).containsExactly("GET /v1/jobs?limit=50&node=gpu-07&state=RUNNING");
            assertThat(printed).contains("more: hangar jobs --url " + paged.url() + " --state RUNNING --node gpu-07 --cursor c2");
        }
    }

    @Test
    void itsJsonIsTheApisWithWaiting() throws Exception {
        var page = Json.mapper().readTree(jobs("--json"));

        assertThat(page.path("jobs").get(0).path("waiting").asText()).isEqualTo("no node that is up can run it: gpus: none (test)");
        assertThat(page.path("jobs").get(1).has("waiting")).isFalse();
        assertThat(page.has("nextCursor")).isFalse();
    }

    @Test
    void aCommandWithLineBreaksOrEscapesStaysOnItsRowAndNoEscapeReachesTheTerminal() throws IOException {
        try (var odd = new StandInApi("/v1/jobs", """
                {"jobs": [{"id": "j-odd", "state": "QUEUED", "timings": {},
                  "spec": {"command": ["sh", "-c", "echo a\\nrm -rf x\\u001b[31m red"]}}]}""")) {
            String printed = odd.run("jobs");

            // the line break made a row of its own, and the escape sequence turned the terminal red
            assertThat(printed.lines().filter(line -> line.startsWith("j-odd"))).singleElement().asString()
                    .endsWith("sh -c echo a\\nrm -rf x\\u001b[31m red");
            assertThat(printed).doesNotContain("\u001b");
        }
        assertThat(Tables.cut("\uD83D\uDE00".repeat(70), 60)).as("cut between characters, not inside one")
                .isEqualTo("\uD83D\uDE00".repeat(57) + "...");
    }

    @Test
    void aLimitBelowOneIsRefusedNamingTheOptionAndNothingIsAsked() {
        for (String[] args : java.util.List.of(new String[] {"jobs", "--url", api.url(), "--limit", "0"},
                new String[] {"jobs", "--url", api.url(), "-q", "--limit", "-3"})) {
            var printed = StandInApi.capture(() -> Main.run(args));

            // it said "limit must be at least 1", naming no option
            assertThat(printed.exitCode()).as("%s", printed).isEqualTo(2);
            assertThat(printed.err()).as("%s", printed).startsWith("hangar: --limit: must be at least 1, got ");
        }
        assertThat(api.asked()).isEmpty();
    }

    @Test
    void aLimitPastAPageAndAnEmptyFilterAreRefusedNamingTheOptionAndNothingIsAsked() {
        var tooMany = StandInApi.capture(() -> Main.run("jobs", "--url", api.url(), "--limit", "1000"));
        // it showed 500 jobs without a word
        assertThat(tooMany.exitCode()).as("%s", tooMany).isEqualTo(2);
        assertThat(tooMany.err()).startsWith("hangar: --limit: a page holds at most 500 jobs, got 1000");
        for (String option : java.util.List.of("--tenant", "--node", "--cursor")) {
            var empty = StandInApi.capture(() -> Main.run("jobs", "--url", api.url(), option, ""));
            // an admin's --tenant '' listed every tenant's jobs
            assertThat(empty.exitCode()).as("%s", empty).isEqualTo(2);
            assertThat(empty.err()).startsWith("hangar: " + option + ": must not be empty");
        }
        assertThat(api.asked()).isEmpty();
    }

    @Test
    void aRefusalSaysTheServersAdviceBeyondItsFieldErrors() throws IOException {
        String forbidden = """
                {"title": "Forbidden", "status": 403, "detail": "tenant: is not this token's tenant (team-a); a token that\
                 is not an admin's sees only its own jobs; leave tenant out", "errors": [{"field": "tenant", "reason":\
                 "is not this token's tenant (team-a)"}]}""";
        try (var refusing = new StandInApi("/v1/jobs", (method, path) -> new StandInApi.Answer(403, forbidden))) {
            var printed = StandInApi.capture(() -> Main.run("jobs", "--url", refusing.url(), "--tenant", "team-b"));

            // the advice was left out: only the title and the field error were said
            assertThat(printed.err().lines()).as("%s", printed).containsExactly("hangar: Forbidden",
                    "  tenant: is not this token's tenant (team-a)",
                    "  a token that is not an admin's sees only its own jobs; leave tenant out");
            assertThat(printed.exitCode()).isEqualTo(2);
        }
    }

    @Test
    void aServerTooBusyToAnswerIsAFailureWorthTryingAgainNotARefusal() throws IOException {
        String busy = "{\"title\": \"Too many requests\", \"status\": 429, \"detail\": \"too many streams\"}";
        try (var refusing = new StandInApi("/v1/jobs", (method, path) -> new StandInApi.Answer(429, busy))) {
            var printed = StandInApi.capture(() -> Main.run("jobs", "--url", refusing.url()));

            assertThat(printed.exitCode()).as("%s", printed).isEqualTo(1);
        }
    }

    @Test
    void aDetailThatGivesTheFirstOfTheErrorsIsNotSaidAgain() throws IOException {
        String invalid = """
                {"title": "Invalid labels", "status": 400, "detail": "zone: must not be empty", "errors":\
                 [{"field": "zone", "reason": "must not be empty"}, {"field": "rack", "reason": "must not be empty"}]}""";
        try (var refusing = new StandInApi("/v1/jobs", (method, path) -> new StandInApi.Answer(400, invalid))) {
            var printed = StandInApi.capture(() -> Main.run("jobs", "--url", refusing.url()));

            assertThat(printed.err().lines()).as("%s", printed).containsExactly("hangar: Invalid labels",
                    "  zone: must not be empty", "  rack: must not be empty");
        }
    }
}
