package dev.hangar.cli;

import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;

/** What a piece of code wrote to standard error, for tests of what a user sees there. */
final class StandardError {
    private StandardError() {}

    /** What was written to standard error while {@code writing} ran (looked up at each write, as loggers do). */
    static String whileRunning(Runnable writing) {
        PrintStream err = System.err;
        var captured = new ByteArrayOutputStream();
        System.setErr(new PrintStream(captured, true, StandardCharsets.UTF_8));
        try {
            writing.run();
        } finally {
            System.setErr(err);
        }
        return captured.toString(StandardCharsets.UTF_8);
    }
}
