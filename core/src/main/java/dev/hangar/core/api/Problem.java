package dev.hangar.core.api;

import dev.hangar.core.job.FieldError;
import java.util.List;

/**
 * An RFC 9457 problem details body. {@code errors} names each field that is wrong and why.
 */
public record Problem(String type, String title, int status, String detail, List<FieldError> errors) {
    public static final String MEDIA_TYPE = "application/problem+json";

    public static Problem of(int status, String title, String detail, List<FieldError> errors) {
        return new Problem("about:blank", title, status, detail, errors.isEmpty() ? null : errors);
    }
}
