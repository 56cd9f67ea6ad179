package dev.hangar.server.events;

/**
 * One event of {@code GET /v1/events}: its id, its name ({@code job}, {@code node}, {@code pool},
 * {@code reset}) and its JSON data, written once when it is published.
 */
public record ServerEvent(long id, String type, String data) {
    public static final String JOB = "job";
    public static final String NODE = "node";
    public static final String POOL = "pool";
    public static final String RESET = "reset";
}
