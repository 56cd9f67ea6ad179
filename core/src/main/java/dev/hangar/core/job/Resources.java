package dev.hangar.core.job;

/** What a job may use. Missing values take the defaults below; the validator bounds them. */
public record Resources(Double cpus, Long memoryMb, Integer pids, Long diskMb, Integer gpus, Long outputBytes) {
    public static final double DEFAULT_CPUS = 1.0;
    /** The least CPU share a sandbox can be held to: a cgroup quota of 1 ms per 100 ms period. */
    public static final double MIN_CPUS = 0.01;
    public static final long DEFAULT_MEMORY_MB = 512;
    public static final int DEFAULT_PIDS = 256;
    public static final long DEFAULT_DISK_MB = 1024;
    public static final long DEFAULT_OUTPUT_BYTES = 10L * 1024 * 1024;

    public Resources {
        cpus = cpus == null ? DEFAULT_CPUS : cpus;
        memoryMb = memoryMb == null ? DEFAULT_MEMORY_MB : memoryMb;
        pids = pids == null ? DEFAULT_PIDS : pids;
        diskMb = diskMb == null ? DEFAULT_DISK_MB : diskMb;
        gpus = gpus == null ? 0 : gpus;
        outputBytes = outputBytes == null ? DEFAULT_OUTPUT_BYTES : outputBytes;
    }

    public static Resources defaults() {
        return new Resources(null, null, null, null, null, null);
    }
}
