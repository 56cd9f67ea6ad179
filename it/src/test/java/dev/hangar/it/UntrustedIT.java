package dev.hangar.it;

import static org.assertj.core.api.Assertions.assertThat;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.hangar.agent.AgentConfig;
import dev.hangar.cli.EmbeddedHangar;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Untrusted code never runs on process or container isolation: behind a kernel boundary where the
 * node has one (gVisor here), refused at submit with the reason where it has none.
 */
class UntrustedIT {
    @TempDir
    Path dir;

    private static ObjectNode untrusted(String... command) {
        ObjectNode spec = Api.spec(command);
        spec.putObject("profile").put("trust", "UNTRUSTED");
        return spec;
    }

    private static List<String> rejections(JsonNode job) {
        var rejections = new ArrayList<String>();
        job.path("selection").path("rejected")
                .forEach(r -> rejections.add(r.path("runtime").asText() + "/" + r.path("rule").asText()));
        return rejections;
    }

    @Test
    void withoutAKernelBoundaryAnUntrustedJobIsRefusedAtSubmitWithTheReasonAndNothingIsStored() throws Exception {
        Host.assumeBubblewrap();
        try (var node = EmbeddedHangar.start(dir, "127.0.0.1", 0,
                AgentConfig.forThisHost("namespaces-only").withRuntimes(Set.of("process")))) {
            var api = new Api(node.url());

            Api.Answer answer = api.postJobs(untrusted("sh", "-c", "echo ran"));

            assertThat(answer.status()).as("%s", answer).isEqualTo(400);
            assertThat(answer.firstErrorField()).as("%s", answer).isEqualTo("profile.trust");
            assertThat(answer.json().path("detail").asText()).as("%s", answer)
                    .contains("untrusted code needs hardware (microVM) or software-kernel (gVisor) isolation");
            assertThat(api.jobCount()).as("jobs stored").isEqualTo(0);
            assertThat(api.postJobs(Api.spec("true")).status()).as("a trusted job is taken").isEqualTo(201);
        }
    }

    @Test
    void anUntrustedJobRunsInGvisorAndItsRecordSaysWhy() throws Exception {
        try (var node = EmbeddedHangar.start(dir, "127.0.0.1", 0, AgentConfig.forThisHost("node"))) {
            var gvisor = node.agent().runtimes().stream().filter(r -> r.name().equals("gvisor")).findFirst();
            assumeTrue(gvisor.isPresent() && gvisor.get().probe().available(),
                    () -> "gvisor is not available here: " + gvisor.map(r -> r.probe().reason()).orElse("no driver"));
            var api = new Api(node.url());
            String id = api.submit(untrusted("sh", "-c", "echo behind-a-kernel; dmesg 2>/dev/null | head -1")).path("id").asText();

            JsonNode job = api.awaitFinal(id);

            assertThat(job.path("state").asText()).as("%s", job).isEqualTo("SUCCEEDED");
            assertThat(job.path("runtime").asText()).isEqualTo("gvisor");
            assertThat(job.path("selection").path("reason").asText()).contains("strongest isolation");
            assertThat(rejections(job)).contains("process/untrusted-needs-kernel-boundary");
            boolean podman = node.agent().runtimes().stream().anyMatch(r -> r.name().equals("podman") && r.probe().available());
            if (podman) {
                // by its rule, not merely ranked below gVisor
                assertThat(rejections(job)).contains("podman/untrusted-needs-kernel-boundary");
            }
            assertThat(rejections(job)).noneMatch(r -> r.startsWith("podman/") && !r.endsWith("untrusted-needs-kernel-boundary"));
            assertThat(new String(api.output(id, "STDOUT"), StandardCharsets.UTF_8)).contains("behind-a-kernel");
        }
    }
}
