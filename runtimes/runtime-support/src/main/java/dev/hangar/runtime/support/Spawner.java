package dev.hangar.runtime.support;

import java.io.IOException;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;

/**
 * Starts host processes from one platform thread that lives as long as the JVM.
 *
 * <p>Why: bwrap's {@code --die-with-parent} uses PR_SET_PDEATHSIG, which fires when the
 * <em>thread</em> that forked it ends. A process started from a virtual thread is forked by a
 * carrier thread, which the JVM retires when idle, and that would kill a running job.
 *
 * <p>Each process starts in a session of its own ({@code setsid}), so that a signal to the node's
 * process group (Ctrl-C at the terminal of {@code hangar up}) reaches the node alone: it stops and
 * hands its jobs back, where the signal would have killed every sandbox first and its job would
 * have ended FAILED, killed by SIGINT.
 */
public final class Spawner {
    private static final ExecutorService THREAD = Executors.newSingleThreadExecutor(
            Thread.ofPlatform().daemon().name("hangar-spawner").factory());

    private Spawner() {}

    private static final List<String> NEW_SESSION = newSession();

    /** setsid with --wait, if this host's takes it (util-linux 2.31 on; busybox's does not); else none. */
    private static List<String> newSession() {
        return Programs.find("setsid").map(setsid -> List.of(setsid.toString(), "--wait")).filter(command -> {
            var trial = new ArrayList<>(command);
            trial.add("true");
            try {
                Process process = new ProcessBuilder(trial).redirectErrorStream(true)
                        .redirectOutput(ProcessBuilder.Redirect.DISCARD).start();
                return process.waitFor(10, java.util.concurrent.TimeUnit.SECONDS) && process.exitValue() == 0;
            } catch (IOException e) {
                return false;
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                return false;
            }
        }).orElse(List.of());
    }

    /**
     * {@code command} made to run in a session of its own, where the host's setsid can. Why --wait: setsid forks only
     * if the process leads its group, which one the JVM starts never does; should it, the exit status is still the
     * command's.
     */
    static List<String> inSessionOfItsOwn(List<String> command) {
        var inSession = new ArrayList<>(NEW_SESSION);
        inSession.addAll(command);
        return inSession;
    }

    public static Process start(ProcessBuilder builder) throws IOException {
        var inSession = new ProcessBuilder(inSessionOfItsOwn(builder.command())).directory(builder.directory())
                .redirectInput(builder.redirectInput()).redirectOutput(builder.redirectOutput())
                .redirectError(builder.redirectError()).redirectErrorStream(builder.redirectErrorStream());
        inSession.environment().clear();
        inSession.environment().putAll(builder.environment());
        try {
            return THREAD.submit(inSession::start).get();
        } catch (ExecutionException e) {
            if (e.getCause() instanceof IOException io) {
                throw io;
            }
            throw new IOException("could not start " + builder.command().get(0), e.getCause());
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IOException("interrupted while starting " + builder.command().get(0), e);
        }
    }
}
