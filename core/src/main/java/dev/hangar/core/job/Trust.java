package dev.hangar.core.job;

/** Whether the submitter vouches for the code. Untrusted code needs a kernel boundary. */
public enum Trust {
    TRUSTED, UNTRUSTED
}
