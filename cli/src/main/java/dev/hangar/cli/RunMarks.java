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

    /** Prints the mark on {@code err} if {@code chunk} comes from another run than the chunk before it. */
    void before(LogChunk chunk, PrintStream err) {
        if (attempt != 0 && (chunk.attempt() != attempt || chunk.delivery() != delivery)) {
            err.println(runBegins(chunk.attempt(), attempt));
        }
        attempt = chunk.attempt();
        delivery = chunk.delivery();
    }

    static String runBegins(int attempt, int previousAttempt) {
        return attempt != previousAttempt ? "hangar: ── attempt " + attempt + " ──"
                : "hangar: ── attempt " + attempt + ", run again: the run above did not finish (its node stopped answering"
                        + " or its sandbox failed) ──";
    }
}
