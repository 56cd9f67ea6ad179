package dev.hangar.agent;

import dev.hangar.agent.pool.ImageVersions;
import dev.hangar.agent.pool.PoolManager;
import dev.hangar.agent.pool.WarmSandbox;
import dev.hangar.core.job.FieldError;
import dev.hangar.core.job.JobSpec;
import dev.hangar.core.job.JobState;
import dev.hangar.core.queue.Lease;
import dev.hangar.core.queue.LeaseStatus;
import dev.hangar.core.queue.Outcome;
import dev.hangar.core.queue.QueueBackend;
import dev.hangar.core.queue.QueueException;
import dev.hangar.core.queue.StartRecord;
import dev.hangar.core.runtime.ExitStatus;
import dev.hangar.core.runtime.NetworkMode;
import dev.hangar.core.runtime.ProcessSpec;
import dev.hangar.core.runtime.Sandbox;
import dev.hangar.core.runtime.SandboxException;
import dev.hangar.core.runtime.SandboxProcess;
import dev.hangar.core.runtime.SandboxRuntime;
import dev.hangar.core.runtime.SandboxSpec;
import dev.hangar.core.select.Selection;
import dev.hangar.runtime.support.MountPins;
import dev.hangar.runtime.support.PinnedMounts;
import java.nio.charset.StandardCharsets;
import java.time.Clock;
import java.time.Duration;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionException;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.function.Function;
import java.util.function.Supplier;

/**
 * One attempt at one leased job: choose a runtime, take a warm sandbox or make one, run the process,
 * stop it on timeout or cancel, record the outcome. Whatever happens, the sandbox is destroyed.
 */
final class JobAttempt {
    private static final System.Logger LOG = System.getLogger(JobAttempt.class.getName());
    /** How long a killed process may take to end before the stop is recorded anyway. */
    private static final Duration KILL_BOUND = Duration.ofSeconds(30);
    /** How long a killed process whose lease is over is waited for all the same. */
    private static final Duration KILL_FLOOR = Duration.ofSeconds(1);

    private final QueueBackend queue;
    private final AgentConfig config;
    private final Function<JobSpec, Selection> selector;
    private final Function<String, Optional<SandboxRuntime>> runtimes;
    private final RuntimeHealth health;
    private final ScheduledExecutorService timers;
    private final QueueRetry retry;
    private final PoolManager pools;
    private final Mounts mounts;
    private final ImageVersions images;
    private final Clock clock;

    /**
     * Where jobs' mounts are pinned, and whom to tell when one could not be for the host's own reason
     * (the node then leases no job with mounts for a while).
     */
    record Mounts(MountPins pins, Runnable failedHere) {}

    JobAttempt(QueueBackend queue, AgentConfig config, Function<JobSpec, Selection> selector,
            Function<String, Optional<SandboxRuntime>> runtimes, RuntimeHealth health, ScheduledExecutorService timers,
            PoolManager pools, Mounts mounts, ImageVersions images, Clock clock) {
        this.queue = queue;
        this.config = config;
        this.selector = selector;
        this.runtimes = runtimes;
        this.health = health;
        this.timers = timers;
        this.retry = new QueueRetry(config.leaseFor());
        this.pools = pools;
        this.mounts = mounts;
        this.images = images;
        this.clock = clock;
    }

    void run(RunningJob job) {
        Lease lease = job.lease();
        // why one guard around it all: an error anywhere (choosing a runtime, a queue call made while
        // handling a failure) is logged and met here, not lost with the job's thread
        try {
            attempt(job);
            handBackIfStillHeld(job);
        } catch (QueueException e) {
            // why: the queue stayed out of reach longer than a lease lasts; the job is not at fault, and
            // once its lease lapses it is handed out again (nothing was recorded for this attempt)
            leftToItsLease(lease, e);
        } catch (java.util.concurrent.RejectedExecutionException e) {
            if (!timers.isShutdown()) {
                failedByTheAgent(lease, e);
                return;
            }
            // why: the agent closed its timers under a job that outlasted its wait; not the job's fault,
            // so nothing is recorded and its lease runs out (the agent said it leaves such leases so)
            LOG.log(System.Logger.Level.WARNING, "job " + lease.jobId() + ": the agent stopped under it; leaving the job to"
                    + " its lease");
        } catch (RuntimeException | LinkageError e) {
            failedByTheAgent(lease, e);
        } catch (Error e) {
            // why given back, not failed: the node ran short (memory, stack), not the job; another try
            // may run elsewhere, and a job that does this every time ends DEAD after its deliveries
            LOG.log(System.Logger.Level.ERROR, "job " + lease.jobId() + ": the agent failed under it; giving it back", e);
            try {
                giveBack(lease, "the agent on node " + config.nodeName() + " failed under it: " + e);
            } catch (RuntimeException unreachable) {
                LOG.log(System.Logger.Level.WARNING, "job " + lease.jobId() + ": left to its lease", unreachable);
            }
            throw e;
        }
    }

    /**
     * A broken driver fails its job, not the agent (and the job does not wait for its lease to
     * lapse); a finish already applied fences this one out by the lease token.
     */
    private void failedByTheAgent(Lease lease, Throwable e) {
        LOG.log(System.Logger.Level.ERROR, "job " + lease.jobId() + ": agent error", e);
        try {
            finish(lease, Outcome.failed(null, "agent error: " + e, false));
        } catch (QueueException unreachable) {
            leftToItsLease(lease, unreachable);
        }
    }

    private static void leftToItsLease(Lease lease, QueueException e) {
        QueueException.warn(LOG, "job " + lease.jobId() + ": the queue is out of reach; leaving the job to its lease", e);
    }

    private void attempt(RunningJob job) {
        Lease lease = job.lease();
        JobSpec spec = lease.job().spec();
        Selection selection = selector.apply(spec);
        // why: the server checked the mounts against its view; this node's own allow-list decides
        List<FieldError> forbidden = config.mounts().check(spec.mounts());
        if (selection.refused()) {
            refuse(lease, selection, selection.reason());
            return;
        }
        if (!forbidden.isEmpty()) {
            refuse(lease, selection, "refused: forbidden mount on node " + config.nodeName() + ": " + forbidden);
            return;
        }
        SandboxRuntime runtime = runtimes.apply(selection.runtime()).orElseThrow();
        // the delivery too: an attempt comes back after a lease lost to an outage, maybe while its old sandbox goes
        String sandboxId = "job-" + lease.jobId() + "-" + lease.job().attempt() + "-" + lease.job().deliveries();
        PinnedMounts pinned;
        try {
            pinned = mounts.pins().pin(sandboxId, spec.mounts(), config.mounts());
        } catch (SandboxException e) {
            unpinned(lease, selection, e);
            return;
        }
        // why closed after the sandbox: the runtime mounts the pins, which must not go while it runs
        try (pinned) {
            attempt(job, selection, runtime, new SandboxSpec(sandboxId, spec.image(), spec.resources(),
                    NetworkMode.of(spec.profile(), runtime.capabilities()), pinned.mounts(), job.gpus()));
        }
    }

    /**
     * A job whose mounts could not be pinned: failed if its paths changed under the check (a job may
     * do that to another's allowed path), else given back, its runtime not blamed (the host could not
     * mount).
     */
    private void unpinned(Lease lease, Selection selection, SandboxException e) {
        if (e.isCausedByTheJob()) {
            refuse(lease, selection, "refused on node " + config.nodeName() + ": " + e.getMessage());
            return;
        }
        LOG.log(System.Logger.Level.WARNING, "job " + lease.jobId() + ": " + e.getMessage() + "; giving it back");
        mounts.failedHere().run();
        giveBack(lease, e.getMessage() + " on node " + config.nodeName());
    }

    /**
     * Ends a job this node will not run. The job's record keeps no runtime (a runtime the rules
     * allowed did not run it) and says why it was refused, with the runtimes the rules weighed.
     */
    private void refuse(Lease lease, Selection selection, String why) {
        Selection refusal = selection.refused() ? selection
                : new Selection(null, why, selection.rejected(), selection.candidates());
        if (recordStarting(lease, refusal)) {
            finish(lease, Outcome.refused(why));
        }
    }

    private void attempt(RunningJob job, Selection selection, SandboxRuntime runtime, SandboxSpec sandboxSpec) {
        JobSpec spec = job.lease().job().spec();
        Optional<WarmSandbox> warm = pools.take(runtime.name(), spec);
        if (warm.isEmpty() && countedOnAWarmSandbox(selection)) {
            // the warm sandbox the rules counted on died or went to another job meanwhile: they decide again
            // with the pools as they are, rather than boot the job cold where only the warm one made it first
            // (should they refuse it now, or name a runtime gone, the first choice stands, to boot cold)
            Selection again = selector.apply(spec);
            Optional<SandboxRuntime> other = again.refused() ? Optional.empty() : runtimes.apply(again.runtime());
            if (other.isPresent()) {
                if (!other.get().name().equals(runtime.name()) || countedOnAWarmSandbox(again)) {
                    warm = pools.take(other.get().name(), spec); // another pool, or one refilled meanwhile
                }
                run(job, again, other.get(), sandboxSpec, warm);
                return;
            }
        }
        run(job, selection, runtime, sandboxSpec, warm);
    }

    private static boolean countedOnAWarmSandbox(Selection selection) {
        return selection.candidates().stream()
                .anyMatch(candidate -> candidate.runtime().equals(selection.runtime()) && candidate.warmReady() > 0);
    }

    private void run(RunningJob job, Selection selection, SandboxRuntime runtime, SandboxSpec sandboxSpec,
            Optional<WarmSandbox> warm) {
        Lease lease = job.lease();
        JobSpec spec = lease.job().spec();
        long madeFrom = health.now();
        if (warm.isEmpty()) {
            pools.missed(runtime.name(), spec); // here, once: a first empty take may have been followed by a warm one
        }
        // why after the take: a job that fits a ready sandbox takes it rather than see it destroyed for its memory
        pools.yieldToJobs();
        // a cold sandbox takes a while to make: the job shows STARTING meanwhile; a warm one is there already
        if (warm.isEmpty() && !recordStarting(lease, selection)) {
            return;
        }
        var output = new JobOutput(queue, lease, spec.resources().outputBytes(), retry,
                () -> job.stop(StopReason.LEASE_LOST));
        if (warm.isEmpty() && !sayWhenItsImageIsMadeFirst(lease, sandboxSpec.image(), output)) {
            giveBackLost(lease); // not made for nothing, minutes for an image, under a lease the queue may hand on
            return;
        }
        JobSandbox.ColdMaker cold = () -> made(job, runtime, sandboxSpec);
        try (JobSandbox sandbox = warm.isPresent() ? JobSandbox.warm(warm.get(), cold, clock)
                : JobSandbox.cold(cold, clock)) {
            if (stoppedBeforeItsProcess(job)) {
                return;
            }
            SandboxProcess process = sandbox.exec(processOf(spec), output);
            if (process == null) {
                stoppedBeforeItsProcess(job); // null only then
                return;
            }
            // why before the queue hears of it: the process runs from now, however long the queue takes to answer
            var timeout = timers.schedule(() -> job.stop(StopReason.TIMED_OUT), spec.timeoutSeconds(), TimeUnit.SECONDS);
            Outcome outcome;
            try {
                var meanwhile = StopWhileRecorded.watch(job, process);
                StartRecord start = sandbox.start();
                boolean held = step("recording job " + lease.jobId() + " running", lease, () -> warm.isPresent()
                        ? queue.started(lease, config.nodeName(), selection, start) // one round trip
                        : queue.running(lease, start));
                boolean killed = meanwhile.end();
                if (!held) {
                    job.leaseLost(); // another worker has the job now: stop at once, not at the next renewal
                }
                outcome = await(job, process, spec, output, killed);
            } finally {
                timeout.cancel(false);
            }
            // why once it has ended: a runtime that starts processes but loses them has not succeeded; why
            // a cold sandbox only: one made before the runtime's failures says nothing of it now
            if (warm.isEmpty()) {
                health.succeeded(runtime.name(), madeFrom);
            }
            if (output.lost() && (outcome == null || outcome.state() != JobState.CANCELLED)) {
                giveBackLost(lease);
            } else if (outcome != null) {
                finish(lease, outcome);
            }
        } catch (SandboxException e) {
            String failure = "sandbox failed in runtime " + runtime.name() + ": " + e.getMessage();
            if (e.isCausedByTheJob()) {
                LOG.log(System.Logger.Level.WARNING, "job " + lease.jobId() + ": " + failure);
                finish(lease, Outcome.failed(null, failure, output.truncated()));
            } else {
                // why: the runtime failed, not the job; the job goes back to the queue without using up an
                // attempt, and this node leaves the runtime out for a moment, so another node may take it
                LOG.log(System.Logger.Level.WARNING, "job " + lease.jobId() + ": " + failure + "; giving it back", e);
                health.failed(runtime.name(), e.getMessage());
                giveBack(lease, failure + " on node " + config.nodeName());
            }
        }
    }

    /**
     * A job stopped here because its lease could not be renewed in time (the queue out of reach) is given back once
     * its attempt has ended, in case the lease was held all along: the queue came back, or only this node's renewals
     * were late. Else the job would show RUNNING where nothing runs until the lease lapsed. The lease fences it: if
     * the queue handed the job on, or the run recorded its end after all, the give-back changes nothing.
     */
    private void handBackIfStillHeld(RunningJob job) {
        if (job.stopRequested().getNow(null) == StopReason.LEASE_RUNNING_OUT) {
            giveBack(job.lease(), "its lease could not be renewed on node " + config.nodeName()
                    + " (the queue was out of reach), so its run there was stopped");
        }
    }

    /**
     * Says so in the job's output when its image is not made yet on this node: a built-in image is made on its
     * first use, about a minute for debian, and the job's run, STARTING all the while, would look stuck. (A job
     * naming no image is left out: its runtime's default, busybox, is made in a moment, and the process runtime uses
     * none.) False if the notice could not be stored: the run is lost, as one whose output could not be.
     */
    private boolean sayWhenItsImageIsMadeFirst(Lease lease, String image, JobOutput output) {
        boolean madeFirst;
        try {
            madeFirst = image != null && images.madeOnFirstUse(image);
        } catch (RuntimeException e) {
            // why not thrown: a notice is no reason to fail the job; an image record that cannot be read is the
            // runtime's to report as it holds the image (the job then goes back to the queue)
            LOG.log(System.Logger.Level.DEBUG, "job " + lease.jobId() + ": could not tell whether image " + image
                    + " is made yet", e);
            return true;
        }
        if (madeFirst) {
            output.notice("the image " + image + " is not made yet on node " + config.nodeName() + ": making it before"
                    + " the job starts (a built-in image's first use takes a while, about a minute for debian)");
        }
        return !output.lost();
    }

    /**
     * A run whose output could not be stored within its lease, as a run whose lease was lost, records
     * no outcome: its job is given back to run again (no attempt used), or, if the queue is still out
     * of reach, left to its lease. A cancel asked for meanwhile is recorded all the same.
     */
    private void giveBackLost(Lease lease) {
        String why = "its output could not be stored within its lease on node " + config.nodeName()
                + " (the queue was out of reach, or refused it: the node's log says why)";
        LOG.log(System.Logger.Level.WARNING, "job " + lease.jobId() + ": " + why + "; giving it back");
        giveBack(lease, why);
    }

    private void giveBack(Lease lease, String why) {
        retry.call("giving back job " + lease.jobId(), () -> queue.giveBack(lease, why));
    }

    /**
     * Whether the job was cancelled, or handed out again, while its sandbox was made: its process
     * never starts (a timeout is not set yet; a lost lease or a stopping agent records nothing).
     */
    private boolean stoppedBeforeItsProcess(RunningJob job) {
        StopReason early = job.stopRequested().getNow(null);
        if (early == StopReason.CANCELLED) {
            finish(job.lease(), Outcome.cancelled("cancelled on request before its process started"));
        }
        return early != null;
    }

    /**
     * A cold sandbox, made on a thread of its own so that a stop need not wait for it: an image
     * import or a hung runtime may take long. Null if the job was stopped first; past the config's
     * {@code createTimeout} the runtime has failed. What is made after either is destroyed as it comes.
     * Also what replaces a warm sandbox that failed, so that a hung runtime is timed there too.
     */
    private Sandbox made(RunningJob job, SandboxRuntime runtime, SandboxSpec spec) throws SandboxException {
        if (job.stopRequested().isDone()) {
            return null; // stopped while it was leased or recorded: no sandbox made (a minute's image, maybe) to be destroyed
        }
        var making = new CompletableFuture<Sandbox>();
        Thread.ofVirtual().name("make-" + spec.id()).start(() -> {
            try {
                making.complete(runtime.create(spec));
            } catch (Throwable e) {
                making.completeExceptionally(e);
            }
        });
        var deadline = new CompletableFuture<Void>().completeOnTimeout(null, config.createTimeout().toMillis(),
                TimeUnit.MILLISECONDS);
        try {
            CompletableFuture.anyOf(making, job.stopRequested(), deadline).join();
        } catch (CompletionException e) {
            // the making failed: said below
        }
        if (!making.isDone()) {
            job.leaveBehind(making.handle((late, error) -> {
                if (late != null) {
                    destroyLate(late);
                }
                return null;
            }));
            if (job.stopRequested().isDone()) {
                return null;
            }
            // not the job's fault: the job goes back to the queue, and a runtime that keeps hanging is benched
            throw new SandboxException("its sandbox was not made within " + config.createTimeout().toSeconds()
                    + " s (the node's create timeout); the runtime may hang");
        }
        deadline.cancel(false);
        try {
            return making.join();
        } catch (CompletionException e) {
            if (e.getCause() instanceof SandboxException cause) {
                throw cause;
            }
            if (e.getCause() instanceof RuntimeException cause) {
                throw cause;
            }
            throw e;
        }
    }

    /** A sandbox made after its job stopped waiting for it. */
    private static void destroyLate(Sandbox sandbox) {
        try {
            sandbox.destroy();
        } catch (RuntimeException e) {
            LOG.log(System.Logger.Level.WARNING, "could not destroy sandbox " + sandbox.id()
                    + ", made after its job stopped waiting: " + e.getMessage(), e);
        }
    }

    private boolean recordStarting(Lease lease, Selection selection) {
        return step("starting job " + lease.jobId(), lease, () -> queue.starting(lease, config.nodeName(), selection));
    }

    /**
     * Records a step of the leased job (starting, running), retried while the queue is out of reach.
     * A try whose answer was lost may have been done: the retry then finds the job past the step and
     * is refused as if the lease were lost. So a refusal after such a try is the step done if the
     * lease is still held.
     */
    private boolean step(String what, Lease lease, Supplier<Boolean> call) {
        var unanswered = new AtomicBoolean();
        boolean done = retry.call(what, () -> {
            try {
                return call.get();
            } catch (QueueException e) {
                unanswered.set(true);
                throw e;
            }
        });
        return done || unanswered.get()
                && retry.call("checking the lease of job " + lease.jobId(), () -> queue.renew(lease)) != LeaseStatus.LOST;
    }

    private void finish(Lease lease, Outcome outcome) {
        retry.call("finishing job " + lease.jobId(), () -> queue.finish(lease, outcome));
    }

    private static ProcessSpec processOf(JobSpec spec) {
        byte[] stdin = spec.stdin() == null ? null : spec.stdin().getBytes(StandardCharsets.UTF_8);
        return new ProcessSpec(spec.command(), spec.env(), stdin);
    }

    /**
     * Waits for the process or a stop request; returns the outcome, or null if nothing may be
     * recorded. A process whose runtime cannot say how it ended fails as the runtime's fault.
     */
    private static Outcome await(RunningJob job, SandboxProcess process, JobSpec spec, JobOutput output, boolean killed)
            throws SandboxException {
        try {
            CompletableFuture.anyOf(process.exit(), job.stopRequested()).join();
            // why the exit first: a stop that comes once the process has ended must not overrule how it ended,
            // unless the stop is what ended it (killed while its running was being recorded)
            StopReason stop = process.exit().isDone() && !killed ? null : job.stopRequested().getNow(null);
            if (stop == null) {
                return ended(process.exit().join(), output.truncated());
            }
            process.kill();
            ExitStatus status = null;
            long bound = killBoundNanos(job, stop);
            try {
                status = process.exit().get(bound, TimeUnit.NANOSECONDS);
            } catch (TimeoutException e) {
                // the stop is recorded all the same; closing the sandbox destroys what is left of it
                LOG.log(System.Logger.Level.WARNING, "job " + job.lease().jobId() + ": its process did not end within "
                        + TimeUnit.NANOSECONDS.toMillis(bound) + " ms of being killed; destroying its sandbox");
            } catch (ExecutionException e) {
                // why recorded all the same: the job was stopped (a cancel, its timeout); that the runtime
                // then lost track of the killed process is no reason to run it again
                LOG.log(System.Logger.Level.WARNING, "job " + job.lease().jobId() + ": the runtime could not say how its"
                        + " killed process ended: " + e.getCause());
            }
            if (status != null && status.success()) {
                // a killed process does not exit 0: it had ended of itself, its exit told only once its last
                // output was stored (or the runtime read it), after the stop came
                return ended(status, output.truncated());
            }
            return stopped(stop, spec, status, output.truncated());
        } catch (CompletionException e) {
            if (e.getCause() instanceof SandboxException cause) {
                throw cause;
            }
            throw new SandboxException("the runtime could not say how the job's process ended: " + e.getCause(), e.getCause());
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new SandboxException("interrupted while the job's process was being stopped", e);
        }
    }

    /**
     * How long a killed process is waited for before its sandbox is destroyed: a run whose lease is
     * lost, which records nothing, no longer than its lease has left (a moment, for a process that
     * ends as killed), as the queue may hand the job to another node then.
     */
    private static long killBoundNanos(RunningJob job, StopReason stop) {
        long bound = KILL_BOUND.toNanos();
        boolean onItsLease = stop == StopReason.LEASE_LOST || stop == StopReason.LEASE_RUNNING_OUT;
        return onItsLease ? Math.clamp(job.leftNanos(System.nanoTime()), KILL_FLOOR.toNanos(), bound) : bound;
    }

    /** The outcome of a run stopped on request ({@code status} null if its process did not end when killed). */
    private static Outcome stopped(StopReason stop, JobSpec spec, ExitStatus status, boolean truncated) {
        return switch (stop) {
            case CANCELLED -> Outcome.cancelled("cancelled on request; the sandbox was killed", truncated);
            case TIMED_OUT -> Outcome.timedOut("timed out after " + spec.timeoutSeconds() + " s (timeoutSeconds)"
                    + (status == null ? "" : limits(status)), truncated);
            case LEASE_LOST, LEASE_RUNNING_OUT, AGENT_STOPPING -> null;
        };
    }

    /**
     * How a process that ended of itself went. A limit reached inside it fails the job even when it exits 0, as when
     * the OOM killer took a child it ran or forks were refused: part of its work did not happen.
     */
    static Outcome ended(ExitStatus status, boolean truncated) {
        return status.success() && !status.stoppedAtALimit() ? Outcome.succeeded(status.code(), truncated)
                : Outcome.failed(status.code(), failure(status), truncated);
    }

    /**
     * How a failed process ended. A code above 128 is what a shell, and a sandbox's init, make of a
     * child killed by signal code-128, but a process may exit with it too: the runtime does not say
     * which, so both are said.
     */
    static String failure(ExitStatus status) {
        int code = status.code();
        int signal = code - 128;
        String how = "exited with code " + code + (signal >= 1 && signal <= 64
                ? " (as a process killed by " + SIGNALS.getOrDefault(signal, "signal " + signal) + " does)"
                : code == 127 ? " (as for a program not found)" : code == 126 ? " (as for a program that cannot be run)"
                : code == 0 && status.stoppedAtALimit() ? ", but part of it was stopped at a limit" : "");
        return how + limits(status);
    }

    /** The names of the signals a job is most often killed by. */
    private static final java.util.Map<Integer, String> SIGNALS = java.util.Map.of(1, "SIGHUP", 2, "SIGINT", 3, "SIGQUIT",
            6, "SIGABRT", 7, "SIGBUS", 8, "SIGFPE", 9, "SIGKILL", 11, "SIGSEGV", 13, "SIGPIPE", 15, "SIGTERM");

    private static String limits(ExitStatus status) {
        return status.limitsHit().isEmpty() ? "" : "; " + String.join("; ", status.limitsHit());
    }
}
