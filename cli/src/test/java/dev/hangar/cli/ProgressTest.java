package dev.hangar.cli;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;

/** The status line of a wait, on a standard error that is no terminal (a CI log, a file). */
class ProgressTest {
    @Test
    void aStatusCallCutShortByTheEndOfTheWaitPrintsNothing() throws Exception {
        var said = new ByteArrayOutputStream();
        var asking = new CountDownLatch(1);
        // as the client's call does when its thread is interrupted: the interrupt kept, a failure thrown
        var progress = new Progress(new PrintStream(said, true, StandardCharsets.UTF_8), () -> {
            asking.countDown();
            try {
                Thread.sleep(60_000);
                return "RUNNING";
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                throw new IllegalStateException("no Hangar server at http://127.0.0.1:7070 (InterruptedException)");
            }
        }, System.nanoTime());
        assertThat(asking.await(10, TimeUnit.SECONDS)).as("the first status asked, after a second").isTrue();

        progress.close(); // the job's first output came

        assertThat(said.toString(StandardCharsets.UTF_8)).as("a server said gone that is there").isEmpty();
    }

    @Test
    void onATerminalTheLineMovesOftenAndTheStatusIsAskedEveryTwoSeconds() throws Exception {
        var said = new ByteArrayOutputStream();
        var asked = new java.util.concurrent.atomic.AtomicInteger();
        var progress = new Progress(new PrintStream(said, true, StandardCharsets.UTF_8), () -> {
            asked.incrementAndGet();
            return "QUEUED";
        }, System.nanoTime(), true);
        Thread.sleep(3_500);
        progress.close();

        // it asked the server at each redraw, five times a second, for as long as each hangar run waited
        assertThat(asked.get()).as("status calls in 3.5 s").isBetween(1, 2);
        assertThat(said.toString(StandardCharsets.UTF_8).split("\r").length).as("redraws").isGreaterThan(5);
    }
}
