package dev.hangar.core.runtime;

/** The boundary between a job and the host, weakest first. */
public enum Isolation {
    /** A plain host process. */
    PROCESS,
    /** Linux namespaces and cgroups on the host kernel (bubblewrap, containers). */
    NAMESPACE,
    /** A kernel in user space between the job and the host kernel (gVisor). */
    SOFTWARE_KERNEL,
    /** A virtual machine. */
    HARDWARE;

    public boolean atLeast(Isolation other) {
        return compareTo(other) >= 0;
    }
}
