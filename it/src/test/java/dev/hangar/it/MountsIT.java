package dev.hangar.it;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.hangar.agent.AgentConfig;
import dev.hangar.cli.EmbeddedHangar;
import dev.hangar.core.job.MountPolicy;
import dev.hangar.core.runtime.RuntimeStatus;
import dev.hangar.runtime.support.MountPins;
import dev.hangar.runtime.support.OwningProcess;
import java.nio.file.Files;
import java.time.Duration;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/** Host mounts end to end: allowed paths reach the job; escapes by '..' or by a link are refused at the door. */
class MountsIT {
    @TempDir
    static Path dir;

    static EmbeddedHangar hangar;
    static Api api;
    static Path allowed;
    static Path secret;

    @BeforeAll
    static void start() throws Exception {
        Host.assumeBubblewrap();
        allowed = Files.createDirectories(dir.resolve("shared"));
        secret = Files.createDirectories(dir.resolve("secret"));
        Files.writeString(allowed.resolve("input.txt"), "shared-data");
        Files.writeString(secret.resolve("key"), "do-not-read");
        hangar = EmbeddedHangar.start(dir.resolve("node"), "127.0.0.1", 0,
                AgentConfig.forThisHost("node").withMounts(MountPolicy.onThisHost(List.of(allowed))));
        api = new Api(hangar.url());
    }

    @AfterAll
    static void stop() {
        if (hangar != null) {
            hangar.close();
        }
    }

    /** A job that prints /data/input.txt, with this host path mounted at /data. */
    static ObjectNode withMount(String hostPath) {
        ObjectNode spec = Api.spec("cat", "/data/input.txt");
        ObjectNode mount = spec.putArray("mounts").addObject();
        mount.put("hostPath", hostPath).put("sandboxPath", "/data").put("readOnly", true);
        return spec;
    }

    @Test
    void anAllowedHostPathReachesTheJob() {
        String id = api.submit(withMount(allowed.toString())).path("id").asText();
        var job = api.awaitFinal(id);
        assertThat(job.path("state").asText()).as("%s", job).isEqualTo("SUCCEEDED");
        assertThat(new String(api.output(id, "STDOUT"), java.nio.charset.StandardCharsets.UTF_8)).isEqualTo("shared-data");
    }

    @Test
    void whileTheJobRunsItsMountIsAPinOnlyRootCanReachAndTheJobTakesItAway() throws Exception {
        assumeTrue(MountPins.possible(), "pins are made by a root agent only");
        ObjectNode spec = withMount(allowed.toString());
        spec.putArray("command").add("sh").add("-c").add("cat /data/input.txt; sleep 60");
        String id = api.submit(spec).path("id").asText();
        api.awaitJob(id, "its output", job -> api.stdout(id).equals("shared-data"));
        Path pin = MountPins.DEFAULT_ROOT.resolve("owner-" + OwningProcess.current().label()).resolve("job-" + id + "-1-1")
                .resolve("0");

        assertThat(Files.readString(pin.resolve("input.txt"))).as("the pin shows the allowed directory")
                .isEqualTo("shared-data");
        assertThat(Files.readAllLines(Path.of("/proc/self/mountinfo"))).as("the pin is a mount")
                .anyMatch(line -> line.contains(" " + pin + " "));

        api.delete("/v1/jobs/" + id);
        assertThat(api.awaitFinal(id).path("state").asText()).isEqualTo("CANCELLED");
        // the outcome is recorded before the sandbox and its pins go
        await("the job's pins taken away").atMost(Duration.ofSeconds(30)).until(() -> !Files.exists(pin.getParent()));
        assertThat(Files.readString(allowed.resolve("input.txt"))).isEqualTo("shared-data");
    }

    /** Each runtime is given the pin (under a root agent): a path of another kind, which it must mount as any other. */
    @ParameterizedTest
    @ValueSource(strings = {"process", "podman", "gvisor"})
    void anAllowedMountReachesTheJobInEachRuntime(String runtime) {
        RuntimeStatus status = hangar.agent().runtimes().stream().filter(r -> r.name().equals(runtime)).findFirst()
                .orElse(null);
        assumeTrue(status != null && status.probe().available(), runtime + " is not available here: " + status);
        ObjectNode spec = withMount(allowed.toString()).put("runtime", runtime);
        if (!runtime.equals("process")) {
            spec.put("image", "busybox");
        }
        String id = api.submit(spec).path("id").asText();

        var job = api.awaitFinal(id);

        assertThat(job.path("state").asText()).as("%s", job).isEqualTo("SUCCEEDED");
        assertThat(api.stdout(id)).isEqualTo("shared-data");
    }

    @Test
    void aMountTheSandboxCannotMakeFailsTheJobSayingSoNotWithAnExitCode() {
        ObjectNode spec = withMount(allowed.toString());
        ((ObjectNode) spec.path("mounts").get(0)).put("sandboxPath", "/etc/passwd/data"); // under a file
        String id = api.submit(spec).path("id").asText();

        var job = api.awaitFinal(id);

        assertThat(job.path("state").asText()).as("%s", job).isEqualTo("FAILED");
        assertThat(job.path("exitCode").isMissingNode() || job.path("exitCode").isNull()).as("%s", job).isTrue();
        assertThat(job.path("error").asText()).contains("the sandbox could not start the job's program");
        assertThat(new String(api.output(id, "STDERR"), java.nio.charset.StandardCharsets.UTF_8)).startsWith("bwrap: ");
    }

    @Test
    void dotDotOutOfTheAllowedPathIsRefused() {
        long before = api.jobCount();
        Api.Answer answer = api.post("/v1/jobs", withMount(allowed + "/../secret").toString());
        assertThat(answer.status()).as("%s", answer).isEqualTo(400);
        assertThat(answer.firstErrorField()).isEqualTo("mounts[0].hostPath");
        assertThat(api.jobCount()).isEqualTo(before);
    }

    @Test
    void aLinkOutOfTheAllowedPathIsRefused() throws Exception {
        Path link = allowed.resolve("sneaky");
        Files.deleteIfExists(link);
        Files.createSymbolicLink(link, secret);
        Api.Answer answer = api.post("/v1/jobs", withMount(link.toString()).toString());
        assertThat(answer.status()).as("%s", answer).isEqualTo(400);
        assertThat(answer.json().path("errors").get(0).path("reason").asText()).contains("not under an allowed host path");
    }
}
