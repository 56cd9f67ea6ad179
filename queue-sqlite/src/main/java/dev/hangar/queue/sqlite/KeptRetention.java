package dev.hangar.queue.sqlite;

import java.time.Duration;
import java.util.List;

/**
 * The retention a store keeps: the one it was last opened with. A start that gives none keeps it, where it took
 * the default of 7 days and deleted, within seconds, the history a longer one (or P0D) had kept; one that gives
 * another says so, as it deletes what the new one no longer keeps.
 */
final class KeptRetention {
    private static final System.Logger LOG = System.getLogger(KeptRetention.class.getName());
    private static final String NAME = "retention";

    private KeptRetention() {}

    /** The retention to apply: {@code given}, or the kept one if none is given, or the default; kept from now. */
    static Duration settle(SqliteDatabase db, Duration given, Object where) {
        return db.write(c -> {
            List<String> kept = Sql.query(c, "SELECT value FROM settings WHERE name = ?", rs -> rs.getString(1), NAME);
            Duration before = kept.isEmpty() ? null : parsed(kept.getFirst());
            Duration now = given != null ? given : before != null ? before : SqliteQueueBackend.DEFAULT_RETENTION;
            if (before != null && !before.equals(now)) {
                LOG.log(System.Logger.Level.WARNING, "the store at " + where + " kept final jobs " + said(before)
                        + "; it keeps them " + said(now) + " from now" + (shorter(now, before)
                        ? ": those finished longer ago than that are deleted" : ""));
            }
            if (!now.equals(before)) {
                Sql.update(c, "INSERT INTO settings (name, value) VALUES (?, ?) ON CONFLICT (name) DO UPDATE SET value ="
                        + " excluded.value", NAME, now.toString());
            }
            return now;
        });
    }

    /** A retention as a user would say it: for ever, or for so many days, hours or minutes (P30D, not PT720H). */
    static String said(Duration retention) {
        if (retention.isZero()) {
            return "for ever";
        }
        String iso = retention.toDaysPart() > 0 && retention.toHoursPart() == 0 && retention.toMinutesPart() == 0
                && retention.toSecondsPart() == 0 ? "P" + retention.toDays() + "D" : retention.toString();
        return "for " + iso;
    }

    private static boolean shorter(Duration now, Duration before) {
        return !now.isZero() && (before.isZero() || now.compareTo(before) < 0);
    }

    /** A kept value this version cannot read (none should be) counts as none kept. */
    private static Duration parsed(String value) {
        try {
            Duration kept = Duration.parse(value);
            return kept.isNegative() ? null : kept;
        } catch (java.time.format.DateTimeParseException e) {
            return null;
        }
    }
}
