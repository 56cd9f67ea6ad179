package dev.hangar.core.select;

/** Why a runtime may not run a job: the runtime, the rule it breaks and the detail. */
public record Rejection(String runtime, String rule, String reason) {
    @Override
    public String toString() {
        return runtime + ": " + reason + " [" + rule + "]";
    }
}
