package dev.hangar.core.job;

/** What the workload needs from its sandbox; each flag narrows the runtimes that may run it. */
public record Needs(Boolean gpu, Boolean fork, Boolean fullSyscalls, Boolean network) {
    public Needs {
        gpu = gpu != null && gpu;
        fork = fork == null || fork;
        fullSyscalls = fullSyscalls == null || fullSyscalls;
        network = network != null && network;
    }

    public static Needs defaults() {
        return new Needs(null, null, null, null);
    }
}
