package dev.hangar.runtime.support;

import dev.hangar.core.runtime.OutputSink;
import dev.hangar.core.runtime.ProcessSpec;
import dev.hangar.core.runtime.Sandbox;
import dev.hangar.core.runtime.SandboxException;
import dev.hangar.core.runtime.SandboxProcess;
import dev.hangar.core.runtime.SandboxSpec;
import dev.hangar.core.runtime.SandboxState;
import java.time.Duration;
import java.time.Instant;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;

/**
 * The lifecycle every one-process sandbox shares: READY until {@link #exec}, RUNNING while its
 * process lives, STOPPED after; {@link #destroy()} kills the process if it still runs, then lets
 * the driver free what the sandbox holds, once. A prestarted sandbox stays READY while its
 * launcher waits; its {@link #exec} hands the job to the launcher instead of starting it.
 *
 * @param <P> the driver's process type
 */
public abstract class OneProcessSandbox<P extends SandboxProcess> implements Sandbox {
    private static final Duration KILL_BOUND = Duration.ofSeconds(15);
    /** How long a launcher may take to come up (a gVisor sandbox on a loaded host: a few hundred ms). */
    private static final Duration LAUNCHER_BOUND = Duration.ofSeconds(30);

    private final SandboxSpec spec;
    private final String runtime;
    private final Instant createdAt;
    private SandboxState state = SandboxState.READY;
    private P process;
    private WaitingLauncher<P> launcher;
    private boolean destroyed;

    protected OneProcessSandbox(SandboxSpec spec, String runtime, Instant createdAt) {
        this.spec = spec;
        this.runtime = runtime;
        this.createdAt = createdAt;
    }

    protected final SandboxSpec spec() {
        return spec;
    }

    @Override
    public final String id() {
        return spec.id();
    }

    @Override
    public final String runtime() {
        return runtime;
    }

    @Override
    public final Instant createdAt() {
        return createdAt;
    }

    @Override
    public final synchronized SandboxState state() {
        if (state == SandboxState.RUNNING && process.exit().isDone()) {
            return SandboxState.STOPPED;
        }
        return state;
    }

    @Override
    public final synchronized SandboxProcess exec(ProcessSpec processSpec, OutputSink sink) throws SandboxException {
        if (state != SandboxState.READY) {
            throw new SandboxException("sandbox " + id() + " is " + state + "; a " + runtime + " sandbox runs one process");
        }
        if (launcher != null && !launcher.alive()) {
            throw new SandboxException("the launcher of prestarted sandbox " + id() + " has died (killed or out of "
                    + "memory); it cannot run a job, destroy it");
        }
        process = launcher != null ? launcher.run(processSpec, sink) : start(processSpec, sink);
        state = SandboxState.RUNNING;
        return process;
    }

    /** Starts the sandbox's one process. */
    protected abstract P start(ProcessSpec processSpec, OutputSink sink) throws SandboxException;

    @Override
    public final synchronized void prestart() throws SandboxException {
        if (state != SandboxState.READY || launcher != null) {
            throw new SandboxException("sandbox " + id() + " is " + (launcher != null ? "prestarted already" : state)
                    + "; only a READY sandbox that ran nothing can be prestarted");
        }
        WaitingLauncher<P> started = launch();
        awaitReady(started);
        launcher = started;
    }

    /**
     * Returns once the launcher waits for its job, so a pool hands out only sandboxes that start a job
     * at once (a gVisor sandbox first boots its kernel, for about a tenth of a second).
     */
    private void awaitReady(WaitingLauncher<P> started) throws SandboxException {
        try {
            started.ready().get(LAUNCHER_BOUND.toMillis(), TimeUnit.MILLISECONDS);
        } catch (TimeoutException e) {
            started.discard();
            throw new SandboxException("the launcher of sandbox " + id() + " did not come up within "
                    + LAUNCHER_BOUND.toSeconds() + " s" + (started.alive() ? "" : " (it exited)"));
        } catch (ExecutionException e) {
            started.discard();
            throw new SandboxException("the launcher of sandbox " + id() + " failed before it was ready: "
                    + e.getCause().getMessage());
        } catch (InterruptedException e) {
            started.discard();
            Thread.currentThread().interrupt();
            throw new SandboxException("interrupted while sandbox " + id() + " started its launcher");
        }
    }

    /**
     * Starts the in-sandbox launcher (see {@link LauncherScript}) the way {@link #start} starts a
     * job. Drivers whose runtime {@code prestarts()} override it.
     */
    protected WaitingLauncher<P> launch() throws SandboxException {
        throw new SandboxException("a " + runtime + " sandbox cannot be started ahead of a job");
    }

    @Override
    public final synchronized boolean launcherReady() {
        return launcher != null && process == null && !destroyed && launcher.alive();
    }

    @Override
    public final void destroy() {
        P running;
        WaitingLauncher<P> unused;
        synchronized (this) {
            if (destroyed) {
                return;
            }
            destroyed = true;
            state = SandboxState.STOPPED;
            running = process;
            unused = running == null ? launcher : null;
        }
        if (unused != null) {
            unused.discard();
        }
        if (running != null && !running.exit().isDone()) {
            running.kill();
            // a copy: the bound must not end the process's own future, which others wait on for its exit status
            running.exit().copy().orTimeout(KILL_BOUND.toSeconds(), TimeUnit.SECONDS).exceptionally(e -> null).join();
        }
        release(running);
    }

    /** Frees what the sandbox holds once its process has ended; {@code process} is null if none ran. */
    protected abstract void release(P process);
}
