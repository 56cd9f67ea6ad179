package dev.hangar.cli;

import java.io.PrintStream;

/**
 * Our standard output (or error) was closed by its reader, as {@code | head -1} does. The JVM
 * ignores SIGPIPE and a PrintStream keeps quiet about failed writes, so without this a follow would
 * go on printing into nothing until its job ended.
 */
final class OutputClosed extends RuntimeException {
    /** The exit code a shell gives a command that SIGPIPE ended (128 + 13). */
    static final int EXIT_CODE = 141;

    private OutputClosed() {
        super("standard output closed", null, false, false);
    }

    /** Writes the bytes to {@code target} and flushes them; throws if nothing reads it any more. */
    static void write(PrintStream target, byte[] data) {
        target.write(data, 0, data.length);
        target.flush();
        check(target);
    }

    /** Prints the line to {@code target} and flushes it; throws if nothing reads it any more. */
    static void println(PrintStream target, String line) {
        target.println(line);
        target.flush();
        check(target);
    }

    private static void check(PrintStream target) {
        if (target.checkError()) {
            throw new OutputClosed();
        }
    }
}
