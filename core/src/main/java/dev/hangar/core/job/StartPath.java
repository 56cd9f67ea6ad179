package dev.hangar.core.job;

import com.fasterxml.jackson.annotation.JsonProperty;
import java.util.Locale;

/** How a job's sandbox was had: made for it, taken ready from a warm pool, or restored from a snapshot. */
public enum StartPath {
    @JsonProperty("cold") COLD,
    @JsonProperty("warm") WARM,
    @JsonProperty("restored") RESTORED;

    /** The name as JSON and metric labels spell it: {@code cold}, {@code warm}, {@code restored}. */
    public String label() {
        return name().toLowerCase(Locale.ROOT);
    }
}
