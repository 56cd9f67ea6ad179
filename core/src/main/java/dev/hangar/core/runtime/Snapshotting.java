package dev.hangar.core.runtime;

/**
 * Optional power of a runtime whose capability record says {@code snapshot}: save a READY sandbox
 * and start new ones from the saved state instead of booting.
 */
public interface Snapshotting {
    /** A saved sandbox state, opaque to everyone but its runtime. */
    record Snapshot(String id, String runtime, String location) {}

    Snapshot snapshot(Sandbox sandbox) throws SandboxException;

    /**
     * A template: runs {@code prepare} in the sandbox first (load a model, warm a JIT), then saves
     * it; every sandbox restored from it starts where the prepare step left it. The sandbox is used
     * up either way.
     */
    default Snapshot snapshot(Sandbox sandbox, ProcessSpec prepare) throws SandboxException {
        if (prepare == null) {
            return snapshot(sandbox);
        }
        sandbox.destroy();
        throw new SandboxException("a " + sandbox.runtime() + " snapshot cannot run a prepare step");
    }

    /** Deletes a snapshot no longer needed. */
    default void delete(Snapshot snapshot) throws SandboxException {}

    Sandbox restore(Snapshot snapshot, SandboxSpec spec) throws SandboxException;
}
