package dev.hangar.core.job;

import java.util.List;
import java.util.stream.Collectors;

/** A job spec that cannot be accepted, with every field that is wrong. Nothing was stored. */
public class InvalidSpecException extends RuntimeException {
    private final List<FieldError> errors;

    public InvalidSpecException(List<FieldError> errors) {
        super(errors.stream().map(FieldError::toString).collect(Collectors.joining("; ")));
        this.errors = List.copyOf(errors);
    }

    public InvalidSpecException(String field, String reason) {
        this(List.of(new FieldError(field, reason)));
    }

    public List<FieldError> errors() {
        return errors;
    }
}
