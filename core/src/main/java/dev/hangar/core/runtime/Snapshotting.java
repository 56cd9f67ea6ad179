package dev.hangar.core.runtime;

/**
 * Optional power of a runtime whose capability record says {@code snapshot}: save a READY sandbox
 * and start new ones from the saved state instead of booting.
 */
public interface Snapshotting {
    /** A saved sandbox state, opaque to everyone but its runtime. */
    record Snapshot(String id, String runtime, String location) {}

    Snapshot snapshot(Sandbox sandbox) throws SandboxException;

    Sandbox restore(Snapshot snapshot, SandboxSpec spec) throws SandboxException;
}
