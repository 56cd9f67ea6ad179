package dev.hangar.core.runtime;

/** How long a cold start takes, as a class; the measured figure is in {@link RuntimeProbe}. */
public enum BootClass {
    /** Under 10 ms: a process or unikernel. */
    INSTANT,
    /** Under 500 ms: containers, gVisor, microVMs on KVM. */
    FAST,
    /** Seconds: full VMs, emulated VMs. */
    SLOW
}
