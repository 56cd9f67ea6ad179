package dev.hangar.runtime.gvisor;

import dev.hangar.core.job.Resources;
import dev.hangar.core.runtime.ExitStatus;
import dev.hangar.core.runtime.SandboxProcess;
import dev.hangar.runtime.support.HostProcess;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;

/**
 * The job of a gVisor sandbox, seen from the host as its {@code runsc run}: exit code and output
 * are runsc's, which are the container's. The limits it reached come from two places: Hangar's
 * cgroups around the whole sandbox (memory, and the host tasks backstop) and the sentry's trace of
 * refused forks (the job's own pids limit).
 */
final class GvisorProcess implements SandboxProcess {
    private final HostProcess host;
    private final ForkLog forkLog;
    private final GvisorSandbox sandbox;
    private final CompletableFuture<ExitStatus> exit;

    GvisorProcess(HostProcess host, ForkLog forkLog, GvisorSandbox sandbox, Resources resources, int hostTasksLimit) {
        this.host = host;
        this.forkLog = forkLog;
        this.sandbox = sandbox;
        this.exit = host.exit().thenCompose(status -> forkLog.refusedAfterEnd()
                .thenApply(refused -> new ExitStatus(status.code(),
                        limitsHit(status.limitsHit(), refused, resources, hostTasksLimit))));
    }

    /**
     * The cgroups' findings with the pids one restated: the host group counts the sandbox kernel's
     * own threads and stubs against a backstop, not the job's processes against its limit.
     */
    static List<String> limitsHit(List<String> fromCgroups, long forksRefused, Resources resources, int hostTasksLimit) {
        var hits = new ArrayList<String>();
        for (String hit : fromCgroups) {
            if (hit.startsWith("pids")) {
                hits.add("pids limit " + resources.pids() + " reached (the sandbox's host tasks hit their backstop of "
                        + hostTasksLimit + ")");
            } else {
                hits.add(hit);
            }
        }
        if (forksRefused > 0) {
            hits.add("pids limit " + resources.pids() + " reached (" + forksRefused + " forks refused)");
        }
        return hits;
    }

    ForkLog forkLog() {
        return forkLog;
    }

    @Override
    public CompletableFuture<ExitStatus> exit() {
        return exit;
    }

    /**
     * SIGKILL to runsc and to everything in the sandbox's cgroups, repeated until they are empty.
     * runsc's state files are left for {@link GvisorSandbox#destroy()}.
     */
    @Override
    public void kill() {
        host.kill();
        sandbox.killEverything();
    }
}
