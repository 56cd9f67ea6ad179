package dev.hangar.runtime.process;

import static org.assertj.core.api.Assertions.assertThat;

import dev.hangar.core.job.Resources;
import dev.hangar.core.runtime.ExitStatus;
import dev.hangar.core.runtime.NetworkMode;
import dev.hangar.core.runtime.ProcessSpec;
import dev.hangar.core.runtime.Sandbox;
import dev.hangar.core.runtime.SandboxSpec;
import dev.hangar.runtime.testkit.OutputCollector;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;

/** A job's pids limit counts the job's processes, not bwrap's own beside them in its group. */
class BubblewrapPidsTest extends ProcessRuntimeTest {
    private ExitStatus run(String id, String script) throws Exception {
        var resources = new Resources(null, null, 3, null, null, null);
        try (Sandbox sandbox = runtime.create(new SandboxSpec(id, null, resources, NetworkMode.NONE, List.of()))) {
            return sandbox.exec(new ProcessSpec(List.of("sh", "-c", script), Map.of(), null), new OutputCollector())
                    .exit().get(30, TimeUnit.SECONDS);
        }
    }

    @Test
    void aJobLimitedToThreePidsRunsThreeProcessesAndNoMore() throws Exception {
        ExitStatus three = run("pids-three", "sleep 0.2 & sleep 0.2 & wait");
        assertThat(three.limitsHit()).as("the shell and two sleeps").isEmpty();
        assertThat(three.code()).isZero();

        ExitStatus four = run("pids-four", "sleep 0.2 & sleep 0.2 & sleep 0.2 & wait");
        assertThat(four.limitsHit()).as("a fourth").singleElement().asString().startsWith("pids limit 3 reached");
    }
}
