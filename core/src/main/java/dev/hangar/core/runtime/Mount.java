package dev.hangar.core.runtime;

/**
 * A host path made visible in a sandbox. Only allow-listed host paths get this far.
 *
 * @param readOnly absent means writable
 */
public record Mount(String hostPath, String sandboxPath, Boolean readOnly) {
    public Mount {
        readOnly = readOnly != null && readOnly;
    }
}
