package dev.hangar.runtime.testkit;

import dev.hangar.core.runtime.OutputSink;
import java.io.ByteArrayOutputStream;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.EnumMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;

/**
 * An {@link OutputSink} that keeps what a sandboxed process wrote, each stream in its own byte
 * buffer. Thread-safe: runtimes call {@link #write} from their reader threads while tests read.
 *
 * <p>It copies every chunk (a runtime may reuse its buffer after {@code write} returns), counts all
 * bytes even past an optional retention cap, and records calls that break the sink's contract (bad
 * offset or length, null arguments) in {@link #misuse()} besides throwing, so a test can see a
 * driver bug that the driver's reader thread swallowed.
 */
public final class OutputCollector implements OutputSink {

    private static final class Buffer {
        final ByteArrayOutputStream bytes = new ByteArrayOutputStream();
        long total;
        int writes;
    }

    private final long maxRetainedPerStream;
    private final Map<Stream, Buffer> buffers = new EnumMap<>(Stream.class);
    private final List<String> misuse = new ArrayList<>();

    /** Keeps everything. */
    public OutputCollector() {
        this(Long.MAX_VALUE);
    }

    /** Keeps at most {@code maxRetainedPerStream} bytes of each stream; later bytes are only counted. */
    public OutputCollector(long maxRetainedPerStream) {
        if (maxRetainedPerStream < 0) {
            throw new IllegalArgumentException("maxRetainedPerStream < 0: " + maxRetainedPerStream);
        }
        this.maxRetainedPerStream = maxRetainedPerStream;
        for (Stream s : Stream.values()) {
            buffers.put(s, new Buffer());
        }
    }

    @Override
    public synchronized void write(Stream stream, byte[] data, int offset, int length) {
        if (stream == null || data == null) {
            misuse.add("write(" + stream + ", " + (data == null ? "null" : "byte[" + data.length + "]") + ", "
                    + offset + ", " + length + ")");
            throw new NullPointerException("stream and data must not be null");
        }
        try {
            Objects.checkFromIndexSize(offset, length, data.length);
        } catch (IndexOutOfBoundsException e) {
            misuse.add("write(" + stream + ", byte[" + data.length + "], " + offset + ", " + length + ")");
            throw e;
        }
        Buffer b = buffers.get(stream);
        long room = maxRetainedPerStream - b.bytes.size();
        if (room > 0) {
            b.bytes.write(data, offset, (int) Math.min(room, length));
        }
        b.total += length;
        b.writes++;
        notifyAll();
    }

    /** The retained bytes of one stream, as a copy. */
    public synchronized byte[] bytes(Stream stream) {
        return buffers.get(stream).bytes.toByteArray();
    }

    public byte[] stdout() {
        return bytes(Stream.STDOUT);
    }

    public byte[] stderr() {
        return bytes(Stream.STDERR);
    }

    /** The retained bytes of one stream decoded as UTF-8 (malformed input replaced). */
    public synchronized String text(Stream stream) {
        return buffers.get(stream).bytes.toString(StandardCharsets.UTF_8);
    }

    public String stdoutText() {
        return text(Stream.STDOUT);
    }

    public String stderrText() {
        return text(Stream.STDERR);
    }

    /** Every byte written to the stream, retained or not. */
    public synchronized long totalBytes(Stream stream) {
        return buffers.get(stream).total;
    }

    /** How many times {@link #write} was called for the stream. */
    public synchronized int writes(Stream stream) {
        return buffers.get(stream).writes;
    }

    /** Whether bytes were dropped because of the retention cap. */
    public synchronized boolean truncated(Stream stream) {
        Buffer b = buffers.get(stream);
        return b.total > b.bytes.size();
    }

    public boolean contains(Stream stream, String text) {
        return text(stream).contains(text);
    }

    /**
     * Waits until the stream's retained text contains {@code text}.
     *
     * @return whether it did before {@code timeout}
     */
    public synchronized boolean awaitText(Stream stream, String text, Duration timeout) throws InterruptedException {
        long deadline = System.nanoTime() + timeout.toNanos();
        while (!text(stream).contains(text)) {
            long left = deadline - System.nanoTime();
            if (left <= 0) {
                return false;
            }
            long millis = Math.max(1, left / 1_000_000);
            wait(millis);
        }
        return true;
    }

    /** Calls to {@link #write} that broke the sink's contract, in order. */
    public synchronized List<String> misuse() {
        return List.copyOf(misuse);
    }

    /** Both streams in short, for assertion messages. */
    public synchronized String describe() {
        return "stdout " + describe(Stream.STDOUT) + "; stderr " + describe(Stream.STDERR);
    }

    private String describe(Stream stream) {
        Buffer b = buffers.get(stream);
        byte[] all = b.bytes.toByteArray();
        int shown = Math.min(all.length, 2000);
        String text = new String(Arrays.copyOf(all, shown), StandardCharsets.UTF_8)
                .replace("\0", "\\0");
        return "(" + b.total + " bytes): \"" + text + (shown < b.total ? "…" : "") + "\"";
    }

    @Override
    public String toString() {
        return "OutputCollector[" + describe() + "]";
    }
}
