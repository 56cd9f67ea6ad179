package dev.hangar.it;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The benchmark commands run, on a few jobs, and print what docs/benchmarks.md says they print.
 * Figures are not checked: a benchmark measures, it does not pass or fail.
 */
class BenchCliIT {
    @TempDir
    Path dir;

    @Test
    void benchQueueRunsEveryJobThroughTheSqliteBackend() throws Exception {
        assertRunsEveryJob("sqlite:" + dir.resolve("bench.db"), "sqlite");
    }

    @Test
    void benchQueueRunsEveryJobThroughTheRedisBackend() throws Exception {
        try (var redis = ItRedis.start(ItRedis.Kind.SERVER)) {
            assertRunsEveryJob(redis.uri() + "?prefix=bench", "redis");
        }
    }

    private static void assertRunsEveryJob(String queue, String backend) throws Exception {
        CliIT.Result result = CliIT.hangar("bench", "queue", "--queue", queue, "--jobs", "300", "--warmup", "50", "--json");
        assertThat(result.exitCode()).as("%s", result).isZero();

        JsonNode report = Api.JSON.readTree(result.out());
        assertThat(report.path("backend").asText()).isEqualTo(backend);
        assertThat(report.path("jobs").asInt()).isEqualTo(300);
        assertThat(report.path("throughput").asDouble()).isPositive();
        assertThat(report.path("latency").findValuesAsText("name")).contains("enqueue -> leased");
        assertThat(report.path("latency").path(0).path("samples").asInt()).isEqualTo(300);
    }

    @Test
    void benchStartMeasuresOnlyTheRuntimeAskedForOnEachPath() throws Exception {
        Host.assumeBubblewrap();
        CliIT.Result result = CliIT.hangar("bench", "start", "--runtime", "process", "--runs", "2", "--warmup", "0",
                "--json");
        assertThat(result.exitCode()).as("%s", result).isZero();

        JsonNode report = Api.JSON.readTree(result.out());
        assertThat(report.path("results").fieldNames()).toIterable().containsExactly("process");
        assertThat(report.path("results").path("process").findValuesAsText("name")).contains("raw process command",
                "hangar cold REST", "hangar cold in-process", "hangar warm REST", "hangar warm in-process");
        assertThat(report.path("results").path("process").findValues("samples")).allSatisfy(n -> assertThat(n.asInt())
                .isEqualTo(2));
        assertThat(result.err()).as("a runtime not measured is not started").doesNotContain("podman system service");
    }
}
