package dev.hangar.client;

import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStream;
import java.io.InputStreamReader;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;
import java.util.function.Predicate;

/**
 * A server-sent event stream ({@code GET /v1/events}) read over java.net.http, one parsed event (or
 * comment) at a time. Reading happens on its own thread; {@link #close()} ends it.
 */
public final class EventStream implements AutoCloseable {
    /** An event as the stream framed it; a comment has {@code event == ":"} and its text as data. */
    public record Event(String id, String event, String data) {}

    /** Marks the end of the stream in the queue. */
    private static final Event END = new Event(null, "<end>", null);
    /** The kind of a message of an id alone, queued so that the resume id moves on when the reader gets to it. */
    private static final String ID_ONLY = "<id>";
    /**
     * Events read ahead of the caller: a full queue stops the reading, so a slow caller holds the server back
     * (which drops a stream that falls too far behind) rather than filling this process's memory.
     */
    static final int READ_AHEAD = 1024;

    private final int status;
    private final java.net.http.HttpHeaders headers;
    private final InputStream body;
    private final BlockingQueue<Event> events = new LinkedBlockingQueue<>(READ_AHEAD);
    private final Thread reader;
    /** The last event id handed out or passed (an id alone), as an EventSource keeps it. */
    private volatile String lastEventId;
    private volatile boolean closed;

    private EventStream(HttpResponse<InputStream> response) {
        this.status = response.statusCode();
        this.headers = response.headers();
        this.body = response.body();
        this.reader = Thread.ofVirtual().start(this::read);
    }

    /** How long {@link #open(HttpClient, URI, Map)} waits for the answer's headers. */
    static final java.time.Duration HEADERS_WITHIN = java.time.Duration.ofSeconds(30);

    /** Opens {@code uri} with these request headers (e.g. Last-Event-ID). */
    public static EventStream open(HttpClient http, URI uri, Map<String, String> headers) {
        return open(http, uri, headers, HEADERS_WITHIN);
    }

    /**
     * As above, failing with {@link HangarUnreachableException} if the server cannot be reached or
     * does not answer with headers within {@code headersWithin} (a host that took the connection and
     * went quiet); the stream itself may then last as long as it runs.
     */
    public static EventStream open(HttpClient http, URI uri, Map<String, String> headers, java.time.Duration headersWithin) {
        return new EventStream(answer(http, uri, headers, headersWithin));
    }

    /** The answer to a request for the stream at {@code uri}, its headers within {@code headersWithin}. */
    static HttpResponse<InputStream> answer(HttpClient http, URI uri, Map<String, String> headers,
            java.time.Duration headersWithin) {
        var request = HttpRequest.newBuilder(uri);
        headers.forEach(request::header);
        return HeadersWithin.answer(http, request.build(), uri, headersWithin);
    }

    /** The stream of a 2xx answer. */
    static EventStream of(HttpResponse<InputStream> answer) {
        return new EventStream(answer);
    }

    public int status() {
        return status;
    }

    public String contentType() {
        return headers.firstValue("Content-Type").orElse("");
    }

    public java.net.http.HttpHeaders headers() {
        return headers;
    }

    /**
     * The id to resume after (Last-Event-ID), as a browser's EventSource keeps it: the last one of what
     * {@link #next} handed out or passed, an event or an id alone (a filtered stream moves it past the
     * events it skipped). Events read ahead and not yet taken are not past it: a resume gets them again.
     */
    public String lastEventId() {
        return lastEventId;
    }

    private void read() {
        try (var lines = new BufferedReader(new InputStreamReader(body, StandardCharsets.UTF_8))) {
            String id = null;
            String event = null;
            StringBuilder data = null;
            for (String line; (line = lines.readLine()) != null; ) {
                if (line.isEmpty()) {
                    if (data != null || event != null) {
                        events.put(new Event(id, event == null ? "message" : event, data == null ? "" : data.toString()));
                    } else if (id != null) {
                        events.put(new Event(id, ID_ONLY, null)); // even with no data: an id alone moves it on
                    }
                    id = null;
                    event = null;
                    data = null;
                } else if (line.startsWith(":")) {
                    events.put(new Event(null, ":", line.substring(1).trim()));
                } else if (line.startsWith("id:")) {
                    id = line.substring(3).trim();
                } else if (line.startsWith("event:")) {
                    event = line.substring(6).trim();
                } else if (line.startsWith("data:")) {
                    String value = line.substring(5);
                    value = value.startsWith(" ") ? value.substring(1) : value;
                    data = data == null ? new StringBuilder(value) : data.append('\n').append(value);
                }
            }
        } catch (IOException | InterruptedException e) {
            // closed
        } finally {
            queueTheEnd();
        }
    }

    /** The end, after what the caller has yet to take; once closed, only if there is room (else a timeout ends it). */
    private void queueTheEnd() {
        try {
            if (!closed) {
                events.put(END);
                return;
            }
        } catch (InterruptedException e) {
            // closed meanwhile
        }
        events.offer(END);
    }

    /** The next event that is not a comment, or null at the end of the stream or after the timeout. */
    public Event next(Duration timeout) throws InterruptedException {
        return next(timeout, false);
    }

    /** The next event or comment, or null at the end of the stream or after the timeout. */
    public Event next(Duration timeout, boolean comments) throws InterruptedException {
        long deadline = System.nanoTime() + timeout.toNanos();
        while (!closed) { // closed: what was read ahead is dropped, not handed out, and nothing is waited for
            Event event = events.poll(Math.max(0, deadline - System.nanoTime()), TimeUnit.NANOSECONDS);
            if (event == null) {
                return null;
            }
            if (event == END) {
                events.offer(END);
                return null;
            }
            if (event.id() != null) {
                lastEventId = event.id();
            }
            if (event.event().equals(ID_ONLY)) {
                continue;
            }
            if (comments || !event.event().equals(":")) {
                return event;
            }
        }
        return null;
    }

    /** Events (not comments) up to and including the first that matches, failing after the timeout. */
    public List<Event> until(Predicate<Event> last, Duration timeout) throws InterruptedException {
        var seen = new ArrayList<Event>();
        long deadline = System.nanoTime() + timeout.toNanos();
        while (true) {
            Event event = next(Duration.ofNanos(Math.max(0, deadline - System.nanoTime())));
            if (event == null) {
                throw new IllegalStateException("stream ended or timed out before the awaited event; got " + seen);
            }
            seen.add(event);
            if (last.test(event)) {
                return seen;
            }
        }
    }

    /** Whether the server ended the stream within the timeout (events left unread are skipped). */
    public boolean ended(Duration timeout) throws InterruptedException {
        long deadline = System.nanoTime() + timeout.toNanos();
        while (true) {
            Event event = events.poll(Math.max(0, deadline - System.nanoTime()), TimeUnit.NANOSECONDS);
            if (event == null) {
                return false;
            }
            if (event == END) {
                events.offer(END);
                return true;
            }
            if (event.id() != null) {
                lastEventId = event.id(); // skipped, as the caller asked
            }
        }
    }

    @Override
    public void close() {
        closed = true;
        try {
            body.close();
        } catch (IOException e) {
            // gone already
        }
        reader.interrupt();
        events.offer(END); // wakes a caller waiting in next (a full queue wakes it too)
    }
}
