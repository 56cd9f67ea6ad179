package dev.hangar.runtime.support;

import static org.assertj.core.api.Assertions.assertThat;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import dev.hangar.core.job.Resources;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.UUID;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/**
 * What a node killed with SIGKILL leaves in this host's cgroups, swept for real: groups made as a
 * process that has since exited, holding a process that still runs, as an orphaned sandbox would.
 */
class LeftoverGroupsTest {
    private final List<Process> started = new ArrayList<>();
    private final List<Cgroup> groups = new ArrayList<>();
    /** Owners' directories no sweep would remove (of other namespaces). */
    private final List<Path> unjudgedDirs = new ArrayList<>();

    @AfterEach
    void cleanUp() throws InterruptedException, IOException {
        for (Process process : started) {
            process.destroyForcibly();
            process.waitFor(5, TimeUnit.SECONDS);
        }
        groups.forEach(Cgroup::remove);
        for (Path dir : unjudgedDirs) {
            Files.deleteIfExists(dir);
        }
        Limiter.detect().ifPresent(Limiter::sweepStale); // the owners' directories this test made
    }

    @Test
    void whatAGoneNodeLeftRunningInItsGroupsIsKilledAndItsGroupsRemovedWhileALiveNodesStay() throws Exception {
        Limiter limiter = Limiter.detect().orElse(null);
        assumeTrue(limiter != null, Limiter.UNAVAILABLE);
        OwningProcess gone = Owners.thatExited();
        OwningProcess live = Owners.of(start(List.of("sleep", "300")));
        Limiter goneNode = Limiter.detect(gone).orElseThrow();
        Limiter liveNode = Limiter.detect(live).orElseThrow();
        Limiter otherNamespaces = Limiter.detect(Owners.elsewhere(gone)).orElseThrow();
        unjudgedDirs.addAll(otherNamespaces.parents());
        Process orphan = startIn(goneNode, "orphaned-" + UUID.randomUUID());
        Process running = startIn(liveNode, "running-" + UUID.randomUUID());
        Process unjudged = startIn(otherNamespaces, "in-a-container-" + UUID.randomUUID());

        int removed = limiter.sweepStale();

        assertThat(orphan.waitFor(10, TimeUnit.SECONDS)).as("the gone node's sandbox process was killed").isTrue();
        assertThat(goneNode.parents()).allSatisfy(dir -> assertThat(dir).doesNotExist());
        assertThat(removed).isGreaterThanOrEqualTo(goneNode.roots().size());
        assertThat(running.isAlive()).as("the live node's sandbox process runs on").isTrue();
        assertThat(liveNode.parents()).allSatisfy(dir -> assertThat(dir).isDirectory());
        assertThat(unjudged.isAlive()).as("the sandbox process of a node named in other namespaces runs on").isTrue();
        assertThat(limiter.parents()).as("this process's own groups' directories").allSatisfy(dir -> assertThat(dir).isDirectory());
    }

    @Test
    void aProcessIsToldFromAnotherThatGotItsPidByItsStartTime() throws Exception {
        OwningProcess self = OwningProcess.current();
        assumeTrue(self.startTicks() > 0, "this host has no /proc/<pid>/stat");
        assertThat(self.alive()).isTrue();
        assertThat(OwningProcess.parse(self.label())).contains(self);
        assertThat(new OwningProcess(self.pid(), self.startTicks() + 1, self.namespaces()).alive()).isFalse();
        OwningProcess exited = Owners.thatExited();
        assertThat(exited.alive()).isFalse();
        assertThat(OwningProcess.gone(exited.label())).isTrue();
        assertThat(OwningProcess.gone(self.label())).isFalse();
        assertThat(OwningProcess.gone(Owners.elsewhere(exited).label())).as("named in other namespaces: not judged").isFalse();
        assertThat(OwningProcess.gone("4194305@1")).as("an older label whose pid no process has").isTrue();
        assertThat(OwningProcess.gone("1@0")).as("an older label whose pid a process has").isFalse();
        assertThat(OwningProcess.parse("not-a-label")).isEmpty();
        assertThat(OwningProcess.parse("12@x@1.2")).isEmpty();
        assertThat(OwningProcess.gone("not-a-label")).isFalse();
    }

    /** A sleeper in a new group of {@code node}'s, as a sandbox's process would be. */
    private Process startIn(Limiter node, String name) throws Exception {
        Cgroup group = node.create(name, Resources.defaults());
        groups.add(group);
        Process process = start(CgroupJoin.wrap(group, List.of("sleep", "300")));
        Path procs = group.procsFiles().getFirst();
        for (int i = 0; i < 250 && Files.readString(procs).isBlank(); i++) {
            Thread.sleep(20);
        }
        assertThat(Files.readString(procs)).as("the sleeper joined " + procs).isNotBlank();
        return process;
    }

    private Process start(List<String> command) throws IOException {
        Process process = new ProcessBuilder(command).redirectErrorStream(true).start();
        started.add(process);
        return process;
    }
}
