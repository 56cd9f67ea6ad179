package dev.hangar.runtime.support;

import dev.hangar.core.runtime.OutputSink;

/**
 * An output sink given later: a prestarted sandbox's output is read from the start, and reaches
 * the job's sink once {@link #attach} is called. Nothing is buffered: what comes before is dropped,
 * and a launcher prints nothing before its job (it is attached before the job is handed over).
 */
public final class LateSink implements OutputSink {
    private volatile OutputSink target;

    public void attach(OutputSink sink) {
        target = sink;
    }

    @Override
    public void write(Stream stream, byte[] data, int offset, int length) {
        OutputSink now = target;
        if (now != null) {
            now.write(stream, data, offset, length);
        }
    }
}
