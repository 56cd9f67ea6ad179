package dev.hangar.agent;

import dev.hangar.core.runtime.SandboxProcess;
import java.util.concurrent.atomic.AtomicReference;

/**
 * Kills a job's process if the job is asked to stop (its timeout, a cancel, its lease running out) while the queue
 * is still being told that it runs. That call is retried for up to a lease while the queue is out of reach, and the
 * process must not run on meanwhile, past its wall time or on a node that no longer holds it. Once the call has
 * returned, the job's own wait for its process handles a stop.
 */
final class StopWhileRecorded {
    private enum Watch { WATCHING, ENDED, KILLED, HAD_EXITED }

    private final AtomicReference<Watch> watch = new AtomicReference<>(Watch.WATCHING);

    private StopWhileRecorded() {}

    static StopWhileRecorded watch(RunningJob job, SandboxProcess process) {
        var watch = new StopWhileRecorded();
        // why a thread of its own: a stop is asked on the timers' or the queue listener's thread, and a runtime's
        // kill may take a while (an API call, a VM)
        job.stopRequested().thenRunAsync(() -> {
            // why not a process that has ended: its exit, not the stop, is how the job ended (a fast job whose
            // timeout came while the queue was away succeeded)
            Watch decided = process.exit().isDone() ? Watch.HAD_EXITED : Watch.KILLED;
            if (watch.watch.compareAndSet(Watch.WATCHING, decided) && decided == Watch.KILLED) {
                process.kill();
            }
        }, kill -> Thread.ofVirtual().name("stop of job " + job.lease().jobId()).start(kill));
        return watch;
    }

    /** Ends the watch once the queue has been told; true if the running process was killed for a stop meanwhile. */
    boolean end() {
        watch.compareAndSet(Watch.WATCHING, Watch.ENDED);
        return watch.get() == Watch.KILLED;
    }
}
