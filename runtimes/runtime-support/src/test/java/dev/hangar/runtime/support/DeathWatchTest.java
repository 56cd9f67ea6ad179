package dev.hangar.runtime.support;

import static org.assertj.core.api.Assertions.assertThat;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import dev.hangar.core.job.Resources;
import java.io.BufferedReader;
import java.io.InputStreamReader;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Arrays;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/** A JVM killed outright takes what its sandboxes' groups run with it. */
class DeathWatchTest {
    /**
     * A node in miniature: runs a process in a sandbox group of its own, and another in a group it
     * watched and then forgot (of another owner: the test's JVM); says both pids and the second
     * group's directories on stdout, then waits to be killed.
     */
    public static final class Node {
        public static void main(String[] args) throws Exception {
            long self = ProcessHandle.current().pid();
            Cgroup mine = Limiter.detect().orElseThrow().create("death-watch-" + self, Resources.defaults());
            long parent = ProcessHandle.current().parent().orElseThrow().pid();
            var test = new OwningProcess(parent, OwningProcess.startTicks(parent).orElseThrow(),
                    OwningProcess.currentNamespaces());
            Cgroup forgotten = Limiter.detect(test).orElseThrow().create("death-watch-forgotten-" + self, Resources.defaults());
            Path forgottenDir = forgotten.procsFiles().getFirst().getParent();
            DeathWatch.watch(forgottenDir);
            DeathWatch.forget(forgottenDir);
            long killed = runIn(mine, args[0]);
            long kept = runIn(forgotten, args[1]);
            System.out.println(killed + " " + kept + " " + String.join(",", forgotten.procsFiles().stream()
                    .map(procs -> procs.getParent().toString()).toList()));
            System.out.flush();
            Thread.sleep(Long.MAX_VALUE);
        }

        private static long runIn(Cgroup group, String seconds) throws Exception {
            Process job = new ProcessBuilder(CgroupJoin.wrap(group, List.of("sleep", seconds)))
                    .redirectOutput(ProcessBuilder.Redirect.DISCARD).start();
            if (!within(Duration.ofSeconds(10), () -> group.procsFiles().stream().anyMatch(DeathWatchTest::holdsAProcess))) {
                throw new IllegalStateException("the job did not join its group");
            }
            return job.pid();
        }
    }

    /** Waits until {@code done} holds, for at most {@code bound}; whether it did. */
    static boolean within(Duration bound, java.util.function.BooleanSupplier done) throws InterruptedException {
        long deadline = System.nanoTime() + bound.toNanos();
        while (!done.getAsBoolean()) {
            if (System.nanoTime() > deadline) {
                return false;
            }
            Thread.sleep(50);
        }
        return true;
    }

    private static boolean holdsAProcess(Path procs) {
        try {
            return !java.nio.file.Files.readString(procs).isBlank();
        } catch (java.io.IOException e) {
            return false;
        }
    }

    @AfterEach
    void sweep() {
        Limiter.detect().ifPresent(Limiter::sweepStale); // the killed node's directory of groups
    }

    @Test
    void whatASandboxRunsDiesWithTheJvmKilledOutrightButNotWhatItForgot() throws Exception {
        assumeTrue(Limiter.detect().isPresent(), Limiter.UNAVAILABLE);
        String java = Path.of(System.getProperty("java.home"), "bin", "java").toString();
        Process node = new ProcessBuilder(java, "-cp", System.getProperty("java.class.path"), Node.class.getName(), "3217",
                "3218").redirectError(ProcessBuilder.Redirect.INHERIT).start();
        String[] said;
        try (var out = new BufferedReader(new InputStreamReader(node.getInputStream(), StandardCharsets.UTF_8))) {
            String line = out.readLine();
            assertThat(line).as("the node's job pids").isNotNull();
            said = line.trim().split(" ");
        }
        long killed = Long.parseLong(said[0]);
        long kept = Long.parseLong(said[1]);
        try {
            assertThat(ProcessHandle.of(killed).map(ProcessHandle::isAlive)).as("the job, while its node lives").hasValue(true);
            ProcessHandle watch = node.descendants().filter(p -> p.info().arguments().map(List::of)
                    .orElse(List.of()).contains("hangar-death-watch")).findFirst().orElseThrow();

            node.destroyForcibly(); // SIGKILL: no shutdown hook runs
            assertThat(node.waitFor(30, TimeUnit.SECONDS)).isTrue();

            assertThat(within(Duration.ofSeconds(20), () -> ProcessHandle.of(killed).map(h -> !h.isAlive()).orElse(true)))
                    .as("the job of a node killed outright is gone").isTrue();
            // once the watch is through with every group it was told of, not before
            assertThat(within(Duration.ofSeconds(20), () -> !watch.isAlive())).as("the watch ends").isTrue();
            assertThat(ProcessHandle.of(kept).map(ProcessHandle::isAlive)).as("what the node forgot").hasValue(true);
        } finally {
            ProcessHandle.of(kept).ifPresent(ProcessHandle::destroyForcibly);
            within(Duration.ofSeconds(10), () -> ProcessHandle.of(kept).isEmpty());
            CgroupFiles.removeDirs(Arrays.stream(said[2].split(",")).map(Path::of).toList());
        }
    }

    @Test
    void theWatchMovesItselfIntoTheGroupItIsToldToLiveIn(@org.junit.jupiter.api.io.TempDir Path dir) throws Exception {
        // a plain directory stands in for the group: the watch writes its pid into its cgroup.procs as into a group's
        Path home = dir.resolve("watch");
        DeathWatch.liveIn(home);

        Path procs = home.resolve("cgroup.procs");
        assertThat(within(Duration.ofSeconds(10), () -> holdsAProcess(procs))).as("moved itself").isTrue();
        long pid = Long.parseLong(java.nio.file.Files.readString(procs).strip());
        assertThat(ProcessHandle.of(pid).flatMap(p -> p.info().arguments()).map(Arrays::asList).orElseThrow())
                .as("the watch's own pid, not its session's").contains("hangar-death-watch");
    }
}
