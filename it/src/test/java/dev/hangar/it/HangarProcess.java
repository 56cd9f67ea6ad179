package dev.hangar.it;

import static org.awaitility.Awaitility.await;

import dev.hangar.client.HangarClient;
import dev.hangar.core.job.Job;
import dev.hangar.core.queue.JobPage;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import java.util.concurrent.TimeUnit;
import java.util.function.BooleanSupplier;
import java.util.stream.Stream;

/**
 * A {@code hangar} command in a JVM of its own, as an operator starts it, with its output in files
 * under the test's log directory. Killed with SIGKILL, it leaves what a crashed node leaves.
 */
final class HangarProcess {
    private final String name;
    private final Path logDir;
    private final List<String> args;
    private List<String> jvmOptions = List.of();
    private Process process;
    private int starts;

    HangarProcess(String name, Path logDir, String... args) {
        this.name = name;
        this.logDir = logDir;
        this.args = List.of(args);
    }

    /** Options of its JVM (e.g. {@code -Djava.io.tmpdir=...}), before it starts. */
    HangarProcess jvm(String... options) {
        this.jvmOptions = List.of(options);
        return this;
    }

    /** Starts it and waits until {@code ready} holds (a health check, a log line). */
    HangarProcess start(BooleanSupplier ready) throws IOException {
        starts++;
        Files.createDirectories(logDir);
        String java = Path.of(System.getProperty("java.home"), "bin", "java").toString();
        List<String> command = Stream.of(Stream.of(java), jvmOptions.stream(),
                Stream.of("-cp", System.getProperty("java.class.path"), "dev.hangar.cli.Main"), args.stream())
                .flatMap(part -> part).toList();
        process = new ProcessBuilder(command)
                .redirectOutput(stdout().toFile())
                .redirectError(logDir.resolve(name + "-" + starts + ".err").toFile())
                .start();
        Process started = process;
        await(name + " (start " + starts + ") is ready; see " + logDir).atMost(Duration.ofSeconds(60))
                .pollInterval(Duration.ofMillis(100))
                .until(() -> {
                    if (!started.isAlive()) {
                        throw new AssertionError(name + " exited with " + started.exitValue() + "; see " + logDir);
                    }
                    return ready.getAsBoolean();
                });
        return this;
    }

    /** What the current run printed on stdout. */
    Path stdout() {
        return logDir.resolve(name + "-" + starts + ".out");
    }

    boolean isAlive() {
        return process != null && process.isAlive();
    }

    /** Waits for the current run to end on its own; returns its exit code. */
    int waitFor(Duration atMost) throws InterruptedException {
        if (!process.waitFor(atMost.toMillis(), TimeUnit.MILLISECONDS)) {
            throw new AssertionError(name + " did not end within " + atMost + "; see " + logDir);
        }
        return process.exitValue();
    }

    /** SIGTERM, as Ctrl-C or a service manager stops it: its shutdown hooks run. Returns its exit code. */
    int terminate() throws InterruptedException {
        process.destroy();
        return waitFor(Duration.ofSeconds(30));
    }

    /** SIGKILL: no shutdown hook runs, leases stay held until they expire. */
    void kill() throws InterruptedException {
        if (process != null && process.isAlive()) {
            process.destroyForcibly();
            if (!process.waitFor(30, TimeUnit.SECONDS)) {
                throw new AssertionError(name + " did not end after SIGKILL");
            }
        }
    }

    int starts() {
        return starts;
    }

    /** Every job the server lists, page by page. */
    static List<Job> allJobs(HangarClient client) {
        var jobs = new ArrayList<Job>();
        String cursor = null;
        do {
            JobPage page = client.list(Set.of(), cursor, 500);
            jobs.addAll(page.jobs());
            cursor = page.nextCursor();
        } while (cursor != null);
        return jobs;
    }
}
