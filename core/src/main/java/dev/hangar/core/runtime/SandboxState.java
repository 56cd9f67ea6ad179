package dev.hangar.core.runtime;

/** CREATING → READY → RUNNING → STOPPED. */
public enum SandboxState {
    CREATING, READY, RUNNING, STOPPED
}
