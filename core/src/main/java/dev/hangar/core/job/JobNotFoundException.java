package dev.hangar.core.job;

/** No job with this id exists (for this tenant). */
public class JobNotFoundException extends RuntimeException {
    public JobNotFoundException(String id) {
        super("no job with id '" + id + "'");
    }
}
