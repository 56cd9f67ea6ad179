package dev.hangar.server.events;

import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.locks.Condition;
import java.util.concurrent.locks.ReentrantLock;

/**
 * The recent events, in a ring bounded by count and by size, each with the next id. Publishers
 * only append (constant time, never waiting on a reader); each reader keeps its own position and
 * reads what follows it, so a slow reader slows no one else and, once the ring has moved past its
 * position, learns it must reset.
 *
 * <p>Ids start at the log's first id and go up by its stride per event. {@link #startingNow} takes
 * the first id from the clock (milliseconds × 1000) plus a tag of the process's own below 1000, and
 * a stride of 1000: every id of the process ends in its tag. An id of another process (a server
 * restarted, or another server behind the same load balancer, whose ids may be near these) then
 * reads as not this log's, a reset, rather than as a position in its events, but for one chance in
 * a thousand.
 */
public final class EventLog {
    public static final int DEFAULT_MAX_EVENTS = 10_000;
    /** Bounds the memory too: a job event carries the whole spec, stdin and environment included. */
    public static final long DEFAULT_MAX_CHARS = 64L * 1024 * 1024;

    private final ReentrantLock lock = new ReentrantLock();
    private final Condition appended = lock.newCondition();
    private final ServerEvent[] ring;
    private final long maxChars;
    private final long firstId;
    private final long stride;
    private int head; // slot of the oldest buffered event
    private int size;
    private long chars;
    /** The number of the next event, from 0; its id is {@code firstId + nextSeq * stride}. */
    private long nextSeq;
    private boolean closed;

    /** A log whose ids go up by one. */
    public EventLog(int maxEvents, long maxChars, long firstId) {
        this(maxEvents, maxChars, firstId, 1);
    }

    public EventLog(int maxEvents, long maxChars, long firstId, long stride) {
        if (maxEvents < 1 || maxChars < 1 || firstId < 1 || stride < 1 || firstId - stride < 0) {
            throw new IllegalArgumentException("maxEvents, maxChars, firstId and stride must be positive, and firstId"
                    + " at least the stride");
        }
        this.ring = new ServerEvent[maxEvents];
        this.maxChars = maxChars;
        this.firstId = firstId;
        this.stride = stride;
    }

    /** Ids of a log from the clock go up by this; each ends in its process's tag, below it. */
    public static final long CLOCK_STRIDE = 1000;

    /** A log with the default bounds whose ids start from the clock, tagged for this process. */
    public static EventLog startingNow() {
        long tag = java.util.concurrent.ThreadLocalRandom.current().nextLong(CLOCK_STRIDE);
        return new EventLog(DEFAULT_MAX_EVENTS, DEFAULT_MAX_CHARS,
                Math.max(1, System.currentTimeMillis()) * CLOCK_STRIDE + tag, CLOCK_STRIDE);
    }

    private long idOf(long seq) {
        return firstId + seq * stride;
    }

    /** Adds an event with the next id, dropping the oldest ones beyond the bounds. */
    public ServerEvent append(String type, String data) {
        return append(type, data, null);
    }

    /** Adds an event of a tenant's job (see {@link ServerEvent#tenant()}). */
    public ServerEvent append(String type, String data, String tenant) {
        lock.lock();
        try {
            var event = new ServerEvent(idOf(nextSeq++), type, data, tenant);
            if (size == ring.length) {
                dropOldest();
            }
            ring[(head + size) % ring.length] = event;
            size++;
            chars += data.length();
            while (chars > maxChars && size > 1) {
                dropOldest();
            }
            appended.signalAll();
            return event;
        } finally {
            lock.unlock();
        }
    }

    private void dropOldest() {
        chars -= ring[head].data().length();
        ring[head] = null;
        head = (head + 1) % ring.length;
        size--;
    }

    /** The id of the newest event; {@link #beforeFirst()} before the first. */
    public long lastId() {
        lock.lock();
        try {
            return idOf(nextSeq - 1);
        } finally {
            lock.unlock();
        }
    }

    /** The id just before this log's first event: resuming from it replays everything still buffered since the start. */
    public long beforeFirst() {
        return idOf(-1);
    }

    /**
     * At most {@code max} events with ids above {@code lastSeen}, oldest first; empty when there are
     * none yet. A reset when events after {@code lastSeen} were dropped, or when this log never gave
     * {@code lastSeen} (from another server process, or from the future).
     */
    public Replay after(long lastSeen, int max) {
        if (lastSeen < beforeFirst() || Math.floorMod(lastSeen - firstId, stride) != 0) {
            return Replay.RESET; // not an id this log gives (below its first, or of another process's tag)
        }
        long seen = (lastSeen - firstId) / stride; // exact: -1 for beforeFirst()
        lock.lock();
        try {
            long last = nextSeq - 1;
            long oldest = nextSeq - size;
            if (seen > last || seen < oldest - 1) {
                return Replay.RESET;
            }
            int count = (int) Math.min(max, last - seen);
            var events = new ArrayList<ServerEvent>(count);
            int from = (int) (seen + 1 - oldest);
            for (int i = 0; i < count; i++) {
                events.add(ring[(head + from + i) % ring.length]);
            }
            return new Replay(false, events);
        } finally {
            lock.unlock();
        }
    }

    /**
     * Waits until an event newer than {@code lastSeen} is there, the log is closed, or the time is
     * up. Returns whether there is something newer to read.
     */
    public boolean await(long lastSeen, Duration timeout) throws InterruptedException {
        long nanos = timeout.toNanos();
        lock.lock();
        try {
            while (idOf(nextSeq - 1) <= lastSeen && !closed) {
                if (nanos <= 0) {
                    return false;
                }
                nanos = appended.awaitNanos(nanos);
            }
            return idOf(nextSeq - 1) > lastSeen;
        } finally {
            lock.unlock();
        }
    }

    /** Wakes every reader; readers send what is left and end. */
    public void close() {
        lock.lock();
        try {
            closed = true;
            appended.signalAll();
        } finally {
            lock.unlock();
        }
    }

    public boolean isClosed() {
        lock.lock();
        try {
            return closed;
        } finally {
            lock.unlock();
        }
    }

    /** How many events are buffered now. */
    public int size() {
        lock.lock();
        try {
            return size;
        } finally {
            lock.unlock();
        }
    }

    /** The events a reader would see, as ids: for tests and diagnostics. */
    List<Long> bufferedIds() {
        lock.lock();
        try {
            var ids = new ArrayList<Long>(size);
            for (int i = 0; i < size; i++) {
                ids.add(ring[(head + i) % ring.length].id());
            }
            return ids;
        } finally {
            lock.unlock();
        }
    }
}
