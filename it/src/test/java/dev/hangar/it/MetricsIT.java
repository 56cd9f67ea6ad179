package dev.hangar.it;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.TreeMap;
import java.util.regex.Pattern;
import org.junit.jupiter.api.Test;

/** GET /metrics over real HTTP: the Prometheus text, moved by real jobs. */
class MetricsIT extends OneNodeIT {
    private static final String[] FINAL = {"SUCCEEDED", "FAILED", "TIMED_OUT", "CANCELLED", "DEAD"};
    private static final String[] COLD_PROCESS = {"runtime", "process", "path", "cold"};

    @Test
    void finishedJobsMoveTheCountersAndHistogramsAndTheGaugesFollowTheStore() {
        Samples before = scrape();
        for (String family : new String[] {"jvm_memory_used_bytes", "jvm_threads_live_threads",
                "jvm_classes_loaded_classes", "process_uptime_seconds", "system_cpu_count", "jvm_info"}) {
            assertThat(before.has(family)).as("JVM metric %s", family).isTrue();
        }
        assertThat(before.value("hangar_node_capacity_cpus", "node", "node")).isPositive();
        assertThat(before.value("hangar_node_capacity_memory_bytes", "node", "node")).isPositive();
        assertThat(before.value("hangar_node_capacity_gpus", "node", "node")).isNotNull();

        String ok = api.submit(Api.spec("true").put("runtime", "process")).path("id").asText();
        String bad = api.submit(Api.spec("false").put("runtime", "process")).path("id").asText();
        assertThat(Api.state(api.awaitFinal(ok))).isEqualTo("SUCCEEDED");
        assertThat(Api.state(api.awaitFinal(bad))).isEqualTo("FAILED");

        Samples after = scrape();
        for (String state : FINAL) {
            double moved = 0;
            for (String runtime : new String[] {"process", "none"}) {
                moved += after.orZero("hangar_jobs_finished_total", "state", state, "runtime", runtime)
                        - before.orZero("hangar_jobs_finished_total", "state", state, "runtime", runtime);
            }
            double expected = state.equals("SUCCEEDED") || state.equals("FAILED") ? 1 : 0;
            assertThat(moved).as("hangar_jobs_finished_total{state=%s}", state).isEqualTo(expected);
        }
        for (String histogram : new String[] {"hangar_job_queued_seconds", "hangar_job_start_seconds",
                "hangar_job_submit_to_running_seconds", "hangar_job_run_seconds"}) {
            assertThat(after.orZero(histogram + "_count", COLD_PROCESS) - before.orZero(histogram + "_count", COLD_PROCESS))
                    .as("%s_count{runtime=process,path=cold}", histogram).isEqualTo(2);
            assertThat(after.value(histogram + "_bucket", "runtime", "process", "path", "cold", "le", "+Inf"))
                    .isEqualTo(after.value(histogram + "_count", COLD_PROCESS));
        }
        assertThat(after.value("hangar_job_start_seconds_sum", COLD_PROCESS))
                .isGreaterThan(before.orZero("hangar_job_start_seconds_sum", COLD_PROCESS));

        JsonNode health = api.get("/healthz").json().path("jobs"); // nothing runs now: the same store figures
        health.properties().forEach(count -> assertThat(after.value("hangar_jobs", "state", count.getKey()))
                .as("hangar_jobs{state=%s}", count.getKey()).isEqualTo(count.getValue().asDouble()));
        assertThat(after.value("hangar_jobs", "state", "SUCCEEDED")).isPositive();
        assertThat(after.value("hangar_queue_depth")).isZero();
        assertThat(after.value("hangar_queue_oldest_age_seconds")).isZero();
        assertThat(after.value("hangar_sandboxes_running", "node", "node")).isZero();
    }

    private static Samples scrape() {
        Api.Answer answer = api.get("/metrics");
        assertThat(answer.status()).as("%s", answer).isEqualTo(200);
        assertThat(answer.contentType()).startsWith("text/plain; version=0.0.4");
        return new Samples(answer.body());
    }

    /** The samples of a Prometheus text exposition, each line checked against the format. */
    static final class Samples {
        private static final Pattern SAMPLE = Pattern.compile(
                "([a-zA-Z_:][a-zA-Z0-9_:]*)(\\{((?:[a-zA-Z_][a-zA-Z0-9_]*=\"(?:[^\"\\\\]|\\\\.)*\",?)*)\\})? (\\S+)( -?\\d+)?");
        private static final Pattern LABEL = Pattern.compile("([a-zA-Z_][a-zA-Z0-9_]*)=\"((?:[^\"\\\\]|\\\\.)*)\"");

        private final Map<String, Double> values = new LinkedHashMap<>();

        Samples(String text) {
            for (String line : text.split("\n")) {
                if (line.isBlank() || line.startsWith("#")) {
                    continue;
                }
                var sample = SAMPLE.matcher(line);
                assertThat(sample.matches()).as("a sample line: %s", line).isTrue();
                var labels = new TreeMap<String, String>();
                if (sample.group(3) != null) {
                    var label = LABEL.matcher(sample.group(3));
                    while (label.find()) {
                        labels.put(label.group(1), label.group(2));
                    }
                }
                values.put(sample.group(1) + labels, parse(sample.group(4)));
            }
        }

        private static double parse(String value) {
            return switch (value) {
                case "+Inf" -> Double.POSITIVE_INFINITY;
                case "-Inf" -> Double.NEGATIVE_INFINITY;
                case "NaN" -> Double.NaN;
                default -> Double.parseDouble(value);
            };
        }

        Double value(String name, String... labels) {
            var map = new TreeMap<String, String>();
            for (int i = 0; i < labels.length; i += 2) {
                map.put(labels[i], labels[i + 1]);
            }
            return values.get(name + map);
        }

        double orZero(String name, String... labels) {
            Double value = value(name, labels);
            return value == null ? 0 : value;
        }

        boolean has(String name) {
            return values.keySet().stream().anyMatch(key -> key.startsWith(name + "{"));
        }
    }
}
