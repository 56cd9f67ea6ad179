package dev.hangar.queue.redis;

/**
 * The opaque cursor of {@code list}: "c" and the base-36 seq of the last job on the page, the same
 * shape the SQLite backend uses. Pages go by seq, so jobs submitted between two pages change nothing.
 */
final class PageCursor {
    private PageCursor() {}

    static String after(long seq) {
        return "c" + Long.toString(seq, 36);
    }

    /** The seq below which the next page starts, or null for the first page. */
    static Long decode(String cursor) {
        if (cursor == null) {
            return null;
        }
        try {
            if (cursor.length() >= 2 && cursor.length() <= 14 && cursor.charAt(0) == 'c') {
                long seq = Long.parseLong(cursor.substring(1), 36);
                if (seq >= 0) {
                    return seq;
                }
            }
        } catch (NumberFormatException e) {
            // refused below
        }
        String shown = cursor.length() > 40 ? cursor.substring(0, 40) + "..." : cursor;
        throw new IllegalArgumentException("invalid cursor '" + shown + "': pass the nextCursor of the previous page");
    }
}
