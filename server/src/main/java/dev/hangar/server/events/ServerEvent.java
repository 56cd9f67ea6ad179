package dev.hangar.server.events;

/**
 * One event of {@code GET /v1/events}: its id, its name ({@code job}, {@code node}, {@code reset}; {@code pool} is
 * reserved, taken in a filter and never sent yet) and its JSON data, written once when it is published. {@code tenant}: the tenant
 * of a job event's job, which alone (and admins) may see it; null for a job of no tenant, and for
 * every other event, which all callers see.
 */
public record ServerEvent(long id, String type, String data, String tenant) {
    /** Whether this caller may see this event: every one but the job events of others' jobs. */
    public boolean seenBy(dev.hangar.server.auth.Caller caller) {
        return !type.equals(JOB) || caller.seesTenant(tenant);
    }

    public static final String JOB = "job";
    public static final String NODE = "node";
    public static final String POOL = "pool";
    public static final String RESET = "reset";
}
