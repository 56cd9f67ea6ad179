package dev.hangar.cli;

import dev.hangar.core.queue.LogChunk;
import java.io.PrintStream;

/**
 * Marks where a job's output from another run begins, as the dashboard does: a retry, or a run again
 * after a lost one. Without the mark, a run that was lost and run again prints its first lines twice,
 * as if the job had.
 */
final class RunMarks {
    private int attempt; // of the chunk printed last; 0 before the first
    private int delivery;
    private boolean lineOpen; // the chunk printed last did not end its line

    /** Prints the mark on {@code err} if {@code chunk} comes from another run than the chunk before it. */
    void before(LogChunk chunk, PrintStream err) {
        if (attempt != 0 && (chunk.attempt() != attempt || chunk.delivery() != delivery)) {
            // why: a run cut mid-line (a progress bar) would run on into the mark
            err.println((lineOpen ? "\n" : "") + runBegins(chunk.attempt(), attempt));
        }
        attempt = chunk.attempt();
        delivery = chunk.delivery();
        byte[] data = chunk.data();
        lineOpen = data.length > 0 ? data[data.length - 1] != '\n' : lineOpen;
    }

    static String runBegins(int attempt, int previousAttempt) {
        return attempt != previousAttempt ? "hangar: ── attempt " + attempt + " ──"
                : "hangar: ── attempt " + attempt + ", run again: the run above did not finish (its node stopped or"
                        + " stopped answering, its sandbox failed, or its output could not be stored) ──";
    }
}
