package dev.hangar.core.queue;

import dev.hangar.core.runtime.OutputSink;

/**
 * A piece of a job's output, numbered in the order it was stored (seq starts at 1).
 *
 * @param attempt  the attempt whose run wrote it
 * @param delivery the delivery (lease) whose run wrote it, counted as {@code Job.deliveries}: a run
 *                 whose lease was lost, or whose sandbox failed, is followed by a run under the same
 *                 attempt but a new delivery, so its output can be told from the next run's. 0 for
 *                 output stored before chunks carried it.
 */
public record LogChunk(long seq, int attempt, int delivery, OutputSink.Stream stream, byte[] data) {}
