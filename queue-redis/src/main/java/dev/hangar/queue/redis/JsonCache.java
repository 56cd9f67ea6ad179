package dev.hangar.queue.redis;

import dev.hangar.core.json.Json;

/**
 * Parsed JSON by its text, so that the spec and selection a job carries through each of its changes
 * (and that many jobs share) are parsed once, not on every read. Direct-mapped: a slot per hash, a
 * newer text evicts an older; slots are replaced whole, so threads may share it without locks. The
 * values are immutable records, safe to hand out to every reader.
 */
final class JsonCache<T> {
    /** Longer texts are parsed every time rather than kept. */
    private static final int MAX_CACHED_LENGTH = 16 * 1024;

    private record Entry<T>(String json, T value) {}

    private final Class<T> type;
    private final Entry<T>[] slots;
    private final int mask;

    @SuppressWarnings("unchecked")
    JsonCache(Class<T> type, int slots) {
        if (Integer.bitCount(slots) != 1) {
            throw new IllegalArgumentException("slots must be a power of two, got " + slots);
        }
        this.type = type;
        this.slots = (Entry<T>[]) new Entry<?>[slots];
        this.mask = slots - 1;
    }

    /** The value of this JSON text. */
    T read(String json) {
        if (json.length() > MAX_CACHED_LENGTH) {
            return Json.readStored(json, type);
        }
        int slot = slot(json);
        Entry<T> entry = slots[slot];
        if (entry != null && entry.json().equals(json)) {
            return entry.value();
        }
        T value = Json.readStored(json, type);
        slots[slot] = new Entry<>(json, value);
        return value;
    }

    private int slot(String json) {
        int hash = json.hashCode();
        return (hash ^ (hash >>> 16)) & mask;
    }
}
