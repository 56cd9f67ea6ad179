package dev.hangar.agent;

/**
 * The memory a node keeps back from jobs unless told otherwise: for the kernel and its page cache, the
 * agent itself, and what the runtimes run beside each sandbox (a VMM, gVisor's Sentry, a container's
 * monitor). Jobs that may fill all of a host's memory would leave the node itself short, and a job must
 * never make its node sick. The share falls as the host grows, by the tiers Kubernetes node pools
 * commonly reserve: 25% of the first 4 GiB, 20% of the next 4, 10% of the next 8, 6% of the next 112
 * and 2% of the rest.
 */
public final class SystemReserve {
    /** Each tier's size in MiB and the per cent of it kept back; the last tier is the rest. */
    private static final long[][] TIERS = {{4_096, 25}, {4_096, 20}, {8_192, 10}, {114_688, 6}, {Long.MAX_VALUE, 2}};

    private SystemReserve() {}

    /** The MiB kept back on a host of {@code hostMb}, rounded up. */
    public static long memoryMb(long hostMb) {
        long left = Math.max(0, hostMb);
        long hundredths = 0;
        for (long[] tier : TIERS) {
            long inTier = Math.min(left, tier[0]);
            hundredths += inTier * tier[1];
            left -= inTier;
        }
        return (hundredths + 99) / 100;
    }

    /** What a host of {@code hostMb} leaves to jobs by default. */
    public static long leftToJobsMb(long hostMb) {
        return hostMb - memoryMb(hostMb);
    }
}
