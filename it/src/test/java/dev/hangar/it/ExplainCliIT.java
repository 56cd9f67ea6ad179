package dev.hangar.it;

import static dev.hangar.it.CliIT.hangar;
import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import dev.hangar.it.CliIT.Result;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** {@code hangar explain}, in this JVM against a real node: the decision printed, nothing run. */
class ExplainCliIT extends OneNodeIT {
    @TempDir
    Path work;

    static String url;
    static List<String> runtimes;

    @BeforeAll
    static void prepare() {
        url = hangar.url().toString();
        runtimes = new ArrayList<>();
        api.get("/v1/runtimes").json().forEach(runtime -> runtimes.add(runtime.path("name").asText()));
    }

    private static JsonNode json(Result result) {
        try {
            return Api.JSON.readTree(result.out());
        } catch (Exception e) {
            throw new AssertionError("not JSON: " + result, e);
        }
    }

    /** {@code hangar explain -f FILE extra...} with {@code spec} written to FILE. */
    private Result explainFile(String spec, String... extra) throws Exception {
        Path file = Files.writeString(work.resolve("spec.json"), spec);
        var args = new ArrayList<>(List.of("explain", "--url", url, "-f", file.toString()));
        args.addAll(List.of(extra));
        return hangar(args.toArray(String[]::new));
    }

    @Test
    void flagsAsForRunPrintTheChoiceTheReasonAndEveryRuntimeWithoutRunningAnything() {
        long before = api.jobCount();

        Result table = hangar("explain", "--url", url, "--memory", "256", "--", "sh", "-c", "echo never");
        Result json = hangar("explain", "--url", url, "--json", "--memory", "256", "--", "sh", "-c", "echo never");

        assertThat(table.exitCode()).as("%s", table).isZero();
        String chosen = json(json).path("runtime").asText();
        assertThat(runtimes).contains(chosen);
        assertThat(table.out()).as("%s", table).contains("runtime: " + chosen + "\n")
                .contains("why:     " + chosen + ": ").contains("RUNTIME", "DECISION", "RULE", "START", "REASON");
        for (String runtime : runtimes) {
            assertThat(table.out()).as("a row for %s: %s", runtime, table).containsPattern("(?m)^" + runtime + " +(ACCEPTED|REJECTED) ");
        }
        assertThat(table.out().lines().filter(line -> line.contains(" ACCEPTED "))).hasSize(1);
        assertThat(json(json).path("candidates")).hasSize(runtimes.size());
        assertThat(api.jobCount()).as("jobs stored by explain").isEqualTo(before);
    }

    @Test
    void aSpecFileThatPinsARuntimeAgainstARuleIsRefusedNamingTheRule() throws Exception {
        Result result = explainFile("{\"command\": [\"true\"], \"runtime\": \"process\", \"profile\": {\"trust\": \"UNTRUSTED\"}}");

        assertThat(result.exitCode()).as("%s", result).isEqualTo(1);
        assertThat(result.out()).as("%s", result).contains("runtime: none (refused)")
                .contains("refused: runtime 'process' breaks rule untrusted-needs-kernel-boundary: ")
                .containsPattern("(?m)^process +REJECTED +untrusted-needs-kernel-boundary ");
    }

    @Test
    void aBadSpecFileIsRefusedNamingTheField() throws Exception {
        Result result = explainFile("{\"command\": [\"true\"], \"resources\": {\"memoryMb\": -5}}");

        assertThat(result.exitCode()).as("%s", result).isEqualTo(2);
        assertThat(result.err()).as("%s", result).contains("resources.memoryMb");
    }

    @Test
    void withoutAServerABadSpecFileIsRefusedBeforeANodeIsStartedForIt() throws Exception {
        Path file = Files.writeString(work.resolve("bad.json"), "{\"command\": [\"true\"], \"resources\": {\"memoryMb\": -5}}");

        Result result = hangar("explain", "--url", "http://127.0.0.1:" + Host.freePort(), "-f", file.toString());

        assertThat(result.exitCode()).as("%s", result).isEqualTo(2);
        assertThat(result.err()).as("%s", result).contains("resources.memoryMb").doesNotContain("probing")
                .as("a flag of run the user never gave").doesNotContain("--memory");
    }

    @Test
    void aSpecFileAndRunFlagsTogetherAreRefused() throws Exception {
        Result result = explainFile("{\"command\": [\"true\"]}", "--untrusted");

        assertThat(result.exitCode()).as("%s", result).isEqualTo(2);
        assertThat(result.err()).as("%s", result).contains("not both");
    }

    @Test
    void aServerOnAnotherHostThatDoesNotAnswerIsAnErrorNotAnAnswerFromThisHost() {
        Result result = hangar("explain", "--url", "http://hangar.invalid:7070", "--", "true");

        assertThat(result.exitCode()).as("%s", result).isEqualTo(1);
        assertThat(result.err()).as("%s", result).contains("no Hangar server at http://hangar.invalid:7070")
                .doesNotContain("probing");
    }

    @Test
    void withoutAServerThisHostIsProbedForTheAnswer() {
        String nowhere = "http://127.0.0.1:" + Host.freePort();

        Result result = hangar("explain", "--url", nowhere, "--json", "--untrusted", "--", "true");

        JsonNode selection = json(result);
        assertThat(result.err()).as("%s", result).contains("probing this host's runtimes");
        assertThat(selection.path("candidates").size()).as("%s", result).isPositive();
        assertThat(selection.path("rejected").toString()).as("%s", result)
                .contains("\"runtime\":\"process\",\"rule\":\"untrusted-needs-kernel-boundary\"");
        assertThat(result.exitCode()).as("%s", result).isEqualTo(selection.has("runtime") ? 0 : 1);
    }
}
