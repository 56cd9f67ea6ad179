package dev.hangar.core.queue;

/**
 * The opaque cursor of {@code list}: "c" and the base-36 seq of the last job on the page. Pages go
 * by seq, not by offset, so jobs submitted between two pages neither repeat nor push others out.
 * Every backend pages this way, so a cursor means the same whichever backend made it.
 */
public final class PageCursor {
    private PageCursor() {}

    public static String after(long seq) {
        return "c" + Long.toString(seq, 36);
    }

    /** The seq below which the next page starts, or null for the first page. */
    public static Long decode(String cursor) {
        if (cursor == null) {
            return null;
        }
        if (cursor.length() < 2 || cursor.length() > 14 || cursor.charAt(0) != 'c') {
            throw invalid(cursor);
        }
        try {
            long seq = Long.parseLong(cursor.substring(1), 36);
            if (seq < 0) {
                throw invalid(cursor);
            }
            return seq;
        } catch (NumberFormatException e) {
            throw invalid(cursor);
        }
    }

    private static IllegalArgumentException invalid(String cursor) {
        String shown = cursor.length() > 40 ? cursor.substring(0, 40) + "..." : cursor;
        return new IllegalArgumentException("invalid cursor '" + shown + "': pass the nextCursor of the previous page");
    }
}
