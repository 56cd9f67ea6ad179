package dev.hangar.core.runtime;

/** Whether threads run on host cores as they are, or through an emulation layer. */
public enum Threading {
    NATIVE, EMULATED, LIMITED
}
