package dev.hangar.core.queue;

import dev.hangar.core.runtime.OutputSink;

/** A piece of a job's output, numbered in the order it was stored (seq starts at 1). */
public record LogChunk(long seq, int attempt, OutputSink.Stream stream, byte[] data) {}
