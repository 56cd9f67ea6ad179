package dev.hangar.core.runtime;

import java.util.Optional;

/**
 * A sandbox technology, provided by a driver. Drivers are found with {@link RuntimeProvider}
 * through {@link java.util.ServiceLoader}.
 */
public interface SandboxRuntime {
    String name();

    /** One line for people: what this is built on. */
    String description();

    RuntimeCapabilities capabilities();

    /**
     * Checks the host for real: the binary is there <em>and</em> a trial sandbox runs. Slow (it
     * starts a sandbox); callers cache the result.
     */
    RuntimeProbe probe();

    /** Makes a sandbox READY for {@link Sandbox#exec}. */
    Sandbox create(SandboxSpec spec) throws SandboxException;

    /**
     * The plain host command that does what this runtime does for {@code command} in {@code image},
     * without Hangar: the baseline {@code hangar bench} measures Hangar against. Empty if there is none.
     */
    default Optional<java.util.List<String>> baselineCommand(String image, java.util.List<String> command) {
        return Optional.empty();
    }

    /**
     * The image a sandbox of this runtime runs when a spec names {@code named}: a container or VM that is given
     * none runs {@link dev.hangar.core.image.ImageStore#DEFAULT_IMAGE}. A runtime that runs a job without an
     * image (on the host's files) answers null for null. So a warm sandbox of a pool that names busybox serves a job
     * that names no image.
     */
    default String imageOf(String named) {
        return named == null ? dev.hangar.core.image.ImageStore.DEFAULT_IMAGE : named;
    }

    /** Whether its sandboxes can be started ahead of a job ({@link Sandbox#prestart()}), for warm pools. */
    default boolean prestarts() {
        return false;
    }

    /** The snapshot power, if this runtime has it. */
    default Optional<Snapshotting> snapshots() {
        return Optional.empty();
    }
}
