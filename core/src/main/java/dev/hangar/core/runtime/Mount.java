package dev.hangar.core.runtime;

/** A host path made visible in a sandbox. Only allow-listed host paths get this far. */
public record Mount(String hostPath, String sandboxPath, boolean readOnly) {}
