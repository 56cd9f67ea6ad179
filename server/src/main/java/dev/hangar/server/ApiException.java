package dev.hangar.server;

import dev.hangar.core.api.Problem;

import dev.hangar.core.job.FieldError;
import java.util.List;

/** A request the API refuses, with its HTTP status and the fields at fault. */
public class ApiException extends RuntimeException {
    private final int status;
    private final String title;
    private final List<FieldError> errors;

    public ApiException(int status, String title, String detail, List<FieldError> errors) {
        super(detail);
        this.status = status;
        this.title = title;
        this.errors = List.copyOf(errors);
    }

    public static ApiException badField(String field, String reason) {
        return new ApiException(400, "Invalid request", field + ": " + reason, List.of(new FieldError(field, reason)));
    }

    public Problem problem() {
        return Problem.of(status, title, getMessage(), errors);
    }

    public int status() {
        return status;
    }
}
