package dev.hangar.agent;

import dev.hangar.agent.pool.WarmSandbox;
import dev.hangar.core.job.StartPath;
import dev.hangar.core.queue.StartRecord;
import dev.hangar.core.runtime.OutputSink;
import dev.hangar.core.runtime.ProcessSpec;
import dev.hangar.core.runtime.Sandbox;
import dev.hangar.core.runtime.SandboxException;
import dev.hangar.core.runtime.SandboxProcess;
import dev.hangar.core.runtime.SandboxRuntime;
import dev.hangar.core.runtime.SandboxSpec;
import java.time.Clock;
import java.time.Instant;

/**
 * The sandbox one job attempt runs in: a ready one taken from a warm pool when the job fits one,
 * else one made for it (cold). A warm sandbox whose launcher died between take and exec is dropped
 * and the job starts cold. Closing destroys it either way: a sandbox serves one job.
 */
final class JobSandbox implements AutoCloseable {
    private static final System.Logger LOG = System.getLogger(JobSandbox.class.getName());

    private final SandboxRuntime runtime;
    private final SandboxSpec coldSpec;
    private final Clock clock;
    private WarmSandbox warm;
    private Sandbox sandbox;
    private StartRecord start;

    private JobSandbox(SandboxRuntime runtime, SandboxSpec coldSpec, Clock clock) {
        this.runtime = runtime;
        this.coldSpec = coldSpec;
        this.clock = clock;
    }

    /** The job's sandbox is one taken from a pool (if its launcher died since, a cold one replaces it). */
    static JobSandbox warm(WarmSandbox taken, SandboxRuntime runtime, SandboxSpec coldSpec, Clock clock) {
        var held = new JobSandbox(runtime, coldSpec, clock);
        held.warm = taken;
        held.sandbox = taken.sandbox();
        held.start = new StartRecord(taken.restored() ? StartPath.RESTORED : StartPath.WARM, taken.readyAt(),
                held.sandbox.id(), held.sandbox.createdAt());
        return held;
    }

    /** The job's sandbox is made for it now. */
    static JobSandbox cold(SandboxRuntime runtime, SandboxSpec coldSpec, Clock clock) throws SandboxException {
        var held = new JobSandbox(runtime, coldSpec, clock);
        held.makeCold();
        return held;
    }

    private void makeCold() throws SandboxException {
        sandbox = runtime.create(coldSpec);
        Instant ready = clock.instant();
        start = new StartRecord(StartPath.COLD, ready, sandbox.id(), sandbox.createdAt());
    }

    SandboxProcess exec(ProcessSpec process, OutputSink sink) throws SandboxException {
        if (warm == null) {
            return sandbox.exec(process, sink);
        }
        try {
            return sandbox.exec(process, sink);
        } catch (SandboxException e) {
            // why: the launcher can die after the take (killed, OOM); the job must not fail for it
            LOG.log(System.Logger.Level.INFO, "warm sandbox " + sandbox.id() + " of pool " + warm.pool()
                    + " failed to start the job; starting it cold: " + e.getMessage());
            warm.close();
            warm = null;
            makeCold();
            return sandbox.exec(process, sink);
        }
    }

    /** How the sandbox was had, for the job's record. */
    StartRecord start() {
        return start;
    }

    @Override
    public void close() {
        if (warm != null) {
            warm.close();
        } else if (sandbox != null) {
            sandbox.destroy();
        }
    }
}
