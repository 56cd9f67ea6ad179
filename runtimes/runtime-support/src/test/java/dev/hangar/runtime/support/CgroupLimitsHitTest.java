package dev.hangar.runtime.support;

import static org.assertj.core.api.Assertions.assertThat;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import dev.hangar.core.job.Resources;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.UUID;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.AnnotatedElementContext;
import org.junit.jupiter.api.extension.ExtensionContext;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.api.io.TempDirFactory;

/** What a group says of its memory limit, made for real on this host's cgroups (v1 or v2). */
class CgroupLimitsHitTest {
    private static final long LIMIT_MB = 32;

    /** Under the build directory: the temp directory may be a tmpfs, whose pages are not cache the kernel can drop. */
    @TempDir(factory = UnderBuildDirectory.class)
    Path dir;

    static final class UnderBuildDirectory implements TempDirFactory {
        @Override
        public Path createTempDirectory(AnnotatedElementContext element, ExtensionContext context) throws IOException {
            return Files.createTempDirectory(Files.createDirectories(Path.of("target")), "limits-hit-");
        }
    }

    /** Runs {@code script} under {@code sh} inside a new group limited to LIMIT_MB; returns the group's limits hit. */
    private static List<String> limitsHitRunning(String script) throws Exception {
        Limiter limiter = Limiter.detect().orElse(null);
        assumeTrue(limiter != null, "this host has no writable cgroup hierarchy");
        Cgroup group = limiter.create("hangar-test-" + UUID.randomUUID(), new Resources(null, LIMIT_MB, null, null, null, null));
        try {
            var command = new ArrayList<>(CgroupJoin.wrap(group, List.of("/bin/sh", "-c", script)));
            Process process = new ProcessBuilder(command).redirectErrorStream(true).start();
            String output = new String(process.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
            assertThat(process.waitFor(120, TimeUnit.SECONDS)).as("ended; %s", output).isTrue();
            return group.limitsHit();
        } finally {
            group.killAll();
            group.remove();
        }
    }

    @Test
    void pageCacheReclaimedAtTheLimitIsNotCalledAnOomKill() throws Exception {
        // why a file on disk: its pages are cache the kernel may write back and drop, unlike anonymous memory
        Path file = dir.resolve("big");
        List<String> hits = limitsHitRunning("dd if=/dev/zero of='" + file + "' bs=1M count=" + LIMIT_MB * 4
                + " conv=fsync 2>/dev/null; sync");
        assertThat(file).as("the file written whole, through the limit").hasSize(LIMIT_MB * 4 * 1024 * 1024);
        assertThat(hits).allSatisfy(hit -> assertThat(hit)
                .matches("memory limit 32 MiB reached [0-9]+ times? \\(memory was reclaimed; no OOM kill\\)"));
        // why not one hit for sure: a kernel may reclaim before the limit (cgroup v1 with swap accounted does)
        org.junit.jupiter.api.Assumptions.assumeFalse(hits.isEmpty(), "this kernel reclaimed the page cache before the"
                + " limit: no limit was reached, so there was nothing to tell");
    }

    @Test
    void aLimitReachedWithoutAnOomKillIsSaidSoWithItsCount() {
        Resources resources = new Resources(null, LIMIT_MB, 8, null, null, null);
        assertThat(CgroupFiles.limitsHit(resources, 3, 0, 0))
                .containsExactly("memory limit 32 MiB reached 3 times (memory was reclaimed; no OOM kill)");
        assertThat(CgroupFiles.limitsHit(resources, 1, 0, 2)).containsExactly(
                "memory limit 32 MiB reached 1 time (memory was reclaimed; no OOM kill)", "pids limit 8 reached (2 forks refused)");
        assertThat(CgroupFiles.limitsHit(resources, 5, 1, 0)).containsExactly("memory limit 32 MiB reached (OOM kill)");
        assertThat(CgroupFiles.limitsHit(resources, 0, 0, 0)).isEmpty();
    }

    @Test
    void memoryThatCannotBeReclaimedEndsInAnOomKillSaidSo() throws Exception {
        List<String> hits = limitsHitRunning("head -c " + LIMIT_MB * 4 * 1024 * 1024 + " /dev/zero | tail");
        assertThat(hits).containsExactly("memory limit 32 MiB reached (OOM kill)");
    }
}
