package dev.hangar.server.metrics;

/**
 * A counter's total from the figures a source reports, which start again from 0 when the source
 * does (a node restarted, a pool made again): what was counted before stays counted, so the total
 * never goes down.
 */
public final class CounterTotal {
    private long reported;
    private long total;

    /** Takes in the source's figure now; one lower than the last means the source counts from 0 again. */
    public synchronized void report(long now) {
        total += now >= reported ? now - reported : now;
        reported = now;
    }

    public synchronized long total() {
        return total;
    }
}
