package dev.hangar.agent;

import dev.hangar.agent.pool.WarmSandbox;
import dev.hangar.core.job.StartPath;
import dev.hangar.core.queue.StartRecord;
import dev.hangar.core.runtime.OutputSink;
import dev.hangar.core.runtime.ProcessSpec;
import dev.hangar.core.runtime.Sandbox;
import dev.hangar.core.runtime.SandboxException;
import dev.hangar.core.runtime.SandboxProcess;
import java.time.Clock;

/**
 * The sandbox one job attempt runs in: a ready one taken from a warm pool when the job fits one,
 * else one made for it (cold). A warm sandbox whose launcher died between take and exec is dropped
 * and the job starts cold. Closing destroys it either way: a sandbox serves one job.
 */
final class JobSandbox implements AutoCloseable {
    private static final System.Logger LOG = System.getLogger(JobSandbox.class.getName());

    /** Makes the job's cold sandbox: null if the job was stopped first (see {@code JobAttempt#made}). */
    @FunctionalInterface
    interface ColdMaker {
        Sandbox make() throws SandboxException;
    }

    private final ColdMaker cold;
    private final Clock clock;
    private WarmSandbox warm;
    private Sandbox sandbox;
    private StartRecord start;

    private JobSandbox(ColdMaker cold, Clock clock) {
        this.cold = cold;
        this.clock = clock;
    }

    /** The job's sandbox is one taken from a pool (if its launcher died since, a cold one replaces it). */
    static JobSandbox warm(WarmSandbox taken, ColdMaker cold, Clock clock) {
        var held = new JobSandbox(cold, clock);
        held.warm = taken;
        held.sandbox = taken.sandbox();
        held.start = new StartRecord(taken.restored() ? StartPath.RESTORED : StartPath.WARM, taken.readyAt(),
                held.sandbox.id(), held.sandbox.createdAt());
        return held;
    }

    /** The job's sandbox is made for it now; none if the job was stopped first (closing it is then a no-op). */
    static JobSandbox cold(ColdMaker cold, Clock clock) throws SandboxException {
        var held = new JobSandbox(cold, clock);
        held.makeCold();
        return held;
    }

    private void makeCold() throws SandboxException {
        sandbox = cold.make();
        if (sandbox != null) {
            start = new StartRecord(StartPath.COLD, clock.instant(), sandbox.id(), sandbox.createdAt());
        }
    }

    /** The job's process; null if the job was stopped while a cold sandbox replaced a dead warm one. */
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
            WarmSandbox dead = warm;
            warm = null; // first: should closing it throw, close() must not close it again
            sandbox = null;
            closeQuietly(dead::close, dead.sandbox().id());
            makeCold();
            return sandbox == null ? null : sandbox.exec(process, sink);
        }
    }

    /** How the sandbox was had, for the job's record. */
    StartRecord start() {
        return start;
    }

    /**
     * Destroys the sandbox. A runtime that fails to is logged, not thrown: what the attempt records
     * (or, on purpose, does not: a job handed back) must not turn into a failure for it.
     */
    @Override
    public void close() {
        if (warm != null) {
            closeQuietly(warm::close, warm.sandbox().id());
        } else if (sandbox != null) {
            closeQuietly(sandbox::destroy, sandbox.id());
        }
    }

    private static void closeQuietly(Runnable destroy, String id) {
        try {
            destroy.run();
        } catch (RuntimeException e) {
            LOG.log(System.Logger.Level.WARNING, "destroying sandbox " + id + " failed", e);
        }
    }
}
