package dev.hangar.core.job;

/** One thing wrong with an input: the field's JSON path and why. */
public record FieldError(String field, String reason) {
    @Override
    public String toString() {
        return field + ": " + reason;
    }
}
