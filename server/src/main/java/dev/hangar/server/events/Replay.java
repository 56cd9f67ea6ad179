package dev.hangar.server.events;

import java.util.List;

/**
 * What {@link EventLog#after} found: the events after the id asked for, oldest first, or
 * {@code reset} when some of them are no longer buffered (or the id was never given by this log),
 * so the client must reload its state instead.
 */
public record Replay(boolean reset, List<ServerEvent> events) {
    static final Replay RESET = new Replay(true, List.of());

    public Replay {
        events = List.copyOf(events);
    }
}
