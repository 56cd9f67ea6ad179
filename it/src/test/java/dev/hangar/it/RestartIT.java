package dev.hangar.it;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import dev.hangar.client.HangarClient;
import dev.hangar.core.job.Job;
import dev.hangar.core.job.JobSpec;
import dev.hangar.core.job.JobState;
import dev.hangar.core.runtime.OutputSink;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.EnumSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.stream.Collectors;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The durability guarantee: a node killed with SIGKILL while jobs run loses none of them. On
 * restart over the same store every job ends SUCCEEDED exactly once in the list, and the ones it
 * was running when it died run again.
 */
class RestartIT {
    private static final int JOBS = 40;
    private static final Set<JobState> LEASED = EnumSet.of(JobState.SCHEDULED, JobState.STARTING, JobState.RUNNING);

    @TempDir
    static Path dataDir;

    static Path logDir;
    static int port;
    static HangarClient client;
    static HangarProcess server;

    @BeforeAll
    static void prepare() throws IOException {
        Host.assumeBubblewrap();
        logDir = Path.of(System.getProperty("hangar.it.dir", "target"), "restart-it");
        Files.createDirectories(logDir);
        port = Host.freePort();
        client = new HangarClient(URI.create("http://127.0.0.1:" + port));
        server = new HangarProcess("server", logDir, "up", "--port", Integer.toString(port), "--data-dir",
                dataDir.toString(), "--lease-seconds", "3", "--node-name", "n1");
    }

    @AfterAll
    static void stopServer() throws InterruptedException {
        if (server != null) {
            server.kill();
        }
    }

    @Test
    void aRunFollowingItsJobRidesOutAKilledServersRestart() throws Exception {
        if (!server.isAlive()) {
            startServer();
        }
        var run = new HangarProcess("run", logDir, "run", "--url", "http://127.0.0.1:" + port, "--", "sh", "-c",
                "echo before; sleep 2; echo after");
        run.start(() -> printed(run).contains("before"));

        server.kill(); // the job's run dies with it; the restarted node gives its lease back and runs the job again
        startServer();

        assertThat(run.waitFor(Duration.ofSeconds(90))).as("hangar run's exit code; see %s", logDir).isZero();
        String out = printed(run);
        assertThat(out).as("its output, the lost run's and the one that finished").endsWith("before\nafter\n");
        assertThat(out.lines().filter("before"::equals).count()).as("each chunk once, the lost run's too").isEqualTo(2);
        assertThat(Files.readString(logDir.resolve("run-1.err"))).as("where the run again begins")
                .contains("hangar: ── attempt 1, run again: the run above did not finish");
    }

    @Test
    void jobsSurviveAKilledServer() throws Exception {
        if (!server.isAlive()) {
            startServer();
        }
        Map<String, Integer> numbers = new LinkedHashMap<>();
        for (int n = 1; n <= JOBS; n++) {
            JobSpec spec = JobSpec.builder().name("job-" + n).command("sh", "-c", "sleep 0.5; echo job-" + n).build();
            numbers.put(client.submit(spec).id(), n);
        }

        // kill it mid-flight: some jobs done, some running, some still waiting
        await("some jobs succeeded, some running and some queued").atMost(Duration.ofSeconds(60))
                .pollInterval(Duration.ofMillis(50))
                .until(() -> {
                    Map<JobState, Long> counts = countByState(numberedJobs());
                    return counts.getOrDefault(JobState.SUCCEEDED, 0L) > 0
                            && counts.getOrDefault(JobState.QUEUED, 0L) > 0
                            && LEASED.stream().mapToLong(s -> counts.getOrDefault(s, 0L)).sum() > 0;
                });
        server.kill();
        assertThat(client.healthy()).as("nothing answers once the server is killed").isFalse();

        startServer();
        await("all " + JOBS + " jobs final after the restart").atMost(Duration.ofSeconds(90))
                .pollInterval(Duration.ofMillis(250))
                .until(() -> numberedJobs().stream().allMatch(Job::isFinal));

        List<Job> jobs = numberedJobs();
        assertThat(jobs).as("jobs stored").hasSize(JOBS);
        assertThat(jobs.stream().map(Job::id).collect(Collectors.toSet())).isEqualTo(numbers.keySet());
        List<String> notSucceeded = jobs.stream().filter(j -> j.state() != JobState.SUCCEEDED)
                .map(j -> j.id() + " " + j.state() + " " + j.error()).toList();
        assertThat(notSucceeded).as("jobs that did not succeed").isEmpty();
        assertThat(jobs.stream().mapToInt(Job::deliveries).max().orElse(0))
                .as("the jobs running at the kill were delivered again").isGreaterThanOrEqualTo(2);
        for (Job job : jobs) {
            int n = numbers.get(job.id());
            String stdout = stdout(job.id());
            assertThat(stdout).as("stdout of job-%d (%s)", n, job.id()).contains("job-" + n + "\n");
            assertThat(stdout.lines().distinct().toList()).as("stdout of job-%d", n).containsExactly("job-" + n);
        }
    }

    /** What a command printed on stdout so far. */
    private static String printed(HangarProcess command) {
        try {
            return Files.readString(command.stdout());
        } catch (IOException e) {
            return ""; // not made yet
        }
    }

    private static void startServer() throws IOException {
        server.start(client::healthy);
    }

    /** The jobs named job-N as the server lists them (the other test's job is there too). */
    private static List<Job> numberedJobs() {
        return HangarProcess.allJobs(client).stream().filter(job -> String.valueOf(job.spec().name()).startsWith("job-")).toList();
    }

    private static Map<JobState, Long> countByState(List<Job> jobs) {
        return jobs.stream().collect(Collectors.groupingBy(Job::state, Collectors.counting()));
    }

    private static String stdout(String id) {
        var out = new ByteArrayOutputStream();
        client.logs(id, false, 0, chunk -> {
            if (chunk.stream() == OutputSink.Stream.STDOUT) {
                out.writeBytes(chunk.data());
            }
        });
        return out.toString(StandardCharsets.UTF_8);
    }
}
