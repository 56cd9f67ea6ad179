package dev.hangar.core.job;

import java.nio.charset.StandardCharsets;

/**
 * Hangar's own word in a job's output, on its standard error between the job's lines: one line marked
 * {@code [hangar: ...]}, so that a reader, and whoever follows the job, can tell it from the job's own.
 */
public final class OutputNotice {
    private static final String OPEN = "[hangar: ";
    private static final String CLOSE = "]\n";

    private OutputNotice() {}

    /** The notice's line. */
    public static String of(String text) {
        return OPEN + text + CLOSE;
    }

    /** Whether a chunk of output is a notice, and nothing else. */
    public static boolean is(byte[] chunk) {
        String text = new String(chunk, StandardCharsets.UTF_8);
        return text.startsWith(OPEN) && text.endsWith(CLOSE) && text.indexOf('\n') == text.length() - 1;
    }
}
