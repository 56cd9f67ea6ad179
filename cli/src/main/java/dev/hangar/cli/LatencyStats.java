package dev.hangar.cli;

import java.util.Arrays;

/** Percentiles of a set of latency samples, in milliseconds. */
record LatencyStats(String name, int samples, double p50, double p90, double p99, double max) {
    static LatencyStats of(String name, long[] nanos) {
        long[] sorted = nanos.clone();
        Arrays.sort(sorted);
        return new LatencyStats(name, sorted.length, ms(percentile(sorted, 50)), ms(percentile(sorted, 90)),
                ms(percentile(sorted, 99)), ms(sorted[sorted.length - 1]));
    }

    /** Nearest-rank percentile. */
    private static long percentile(long[] sorted, int p) {
        int rank = (int) Math.ceil(p / 100.0 * sorted.length);
        return sorted[Math.max(0, Math.min(sorted.length - 1, rank - 1))];
    }

    private static double ms(long nanos) {
        return nanos / 1e6;
    }

    String line() {
        return String.format("%-28s n=%-5d p50=%8.2f ms  p90=%8.2f ms  p99=%8.2f ms  max=%8.2f ms", name, samples, p50, p90,
                p99, max);
    }
}
