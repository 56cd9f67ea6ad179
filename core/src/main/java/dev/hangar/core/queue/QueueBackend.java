package dev.hangar.core.queue;

/** One storage technology behind both sides of the queue. */
public interface QueueBackend extends JobQueue, JobStore, AutoCloseable {
    /** How many deliveries a job gets before a vanished worker makes it DEAD. */
    int MAX_DELIVERIES = 5;

    String name();

    @Override
    void close();
}
