package dev.hangar.core.runtime;

import java.time.Duration;
import java.time.Instant;
import java.util.Map;

/**
 * What probing the host found: whether a trial sandbox really ran, and how long it took. A failed
 * probe says why rather than throwing.
 *
 * @param measuredStart whole start-to-exit time of a trial {@code true}, or null if it did not run
 * @param apiTestedOnly the driver has only run against a simulator of its runtime's API
 * @param attributes    facts found on the way (versions, paths, limit mechanism)
 * @param benched       out of service for a while, though the probe passed: the node benched it after
 *                      its sandboxes failed (then {@code available} is false, and {@code reason} says why)
 */
public record RuntimeProbe(
        boolean available,
        String reason,
        Duration measuredStart,
        boolean apiTestedOnly,
        Instant probedAt,
        Map<String, String> attributes,
        boolean benched) {

    public RuntimeProbe {
        attributes = Map.copyOf(attributes);
    }

    public static RuntimeProbe available(Duration measuredStart, Map<String, String> attributes) {
        return new RuntimeProbe(true, "trial sandbox ran", measuredStart, false, Instant.now(), attributes, false);
    }

    public static RuntimeProbe unavailable(String reason) {
        return new RuntimeProbe(false, reason, null, false, Instant.now(), Map.of(), false);
    }

    /** This probe, of a driver that has only run against a simulator of its runtime's API so far. */
    public RuntimeProbe markedApiTestedOnly() {
        return new RuntimeProbe(available, reason, measuredStart, true, probedAt, attributes, benched);
    }

    /** This probe's runtime, benched for a while for this reason: unavailable until the bench ends. */
    public RuntimeProbe benchedFor(String why) {
        return new RuntimeProbe(false, why, measuredStart, apiTestedOnly, probedAt, attributes, true);
    }
}
