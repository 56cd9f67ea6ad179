package dev.hangar.runtime.support;

import dev.hangar.core.runtime.OutputSink;
import java.nio.charset.StandardCharsets;
import java.util.Arrays;

/**
 * Passes a job's output on, keeping the last bytes of its stderr: where a sandbox's launcher (bwrap,
 * an init) says why it could not run the job's program, which its exit code (1) does not tell from
 * the program's own.
 */
public final class StderrTail implements OutputSink {
    private static final int KEPT = 1024;

    private final OutputSink sink;
    private final byte[] last = new byte[KEPT];
    private int length;
    private long total;

    public StderrTail(OutputSink sink) {
        this.sink = sink;
    }

    @Override
    public void write(Stream stream, byte[] data, int offset, int count) {
        if (stream == Stream.STDERR) {
            keep(data, offset, count);
        }
        sink.write(stream, data, offset, count);
    }

    private synchronized void keep(byte[] data, int offset, int count) {
        total += count;
        int taken = Math.min(count, KEPT);
        int keptBefore = Math.min(length, KEPT - taken);
        System.arraycopy(last, length - keptBefore, last, 0, keptBefore);
        System.arraycopy(data, offset + count - taken, last, keptBefore, taken);
        length = keptBefore + taken;
    }

    /** Whether {@link #text} is all of stderr. */
    public synchronized boolean whole() {
        return total == length;
    }

    /** The last bytes of stderr, as text. */
    public synchronized String text() {
        return new String(Arrays.copyOf(last, length), StandardCharsets.UTF_8);
    }
}
