package dev.hangar.core.runtime;

/** Network a sandbox can be given. Every runtime supports NONE, the default. */
public enum NetworkMode {
    NONE, HOST, BRIDGE
}
