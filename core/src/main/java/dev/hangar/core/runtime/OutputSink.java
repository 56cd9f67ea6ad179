package dev.hangar.core.runtime;

/**
 * Where a sandboxed process's output goes, as it comes. Called from the runtime's reader threads;
 * implementations must be thread-safe and must not block for long.
 */
public interface OutputSink {
    enum Stream { STDOUT, STDERR }

    void write(Stream stream, byte[] data, int offset, int length);

    static OutputSink discard() {
        return (stream, data, offset, length) -> {};
    }
}
