package dev.hangar.agent;

import dev.hangar.core.queue.JobQueue;
import dev.hangar.core.queue.Lease;
import dev.hangar.core.queue.QueueException;
import dev.hangar.core.runtime.OutputSink;
import java.nio.charset.StandardCharsets;
import java.util.Arrays;
import java.util.function.Supplier;

/**
 * A job's output on its way to the store, cut off at the job's output limit: past it, output is
 * counted but dropped, and one notice says so. It is stored under the job's lease: once the lease
 * is lost, the queue drops this run's output (the job may be running elsewhere by then).
 */
final class JobOutput implements OutputSink {
    private static final System.Logger LOG = System.getLogger(JobOutput.class.getName());

    private final JobQueue queue;
    private final Lease lease;
    private final long limit;
    private final QueueRetry retry;
    private long written;
    /** The number of the last chunk sent; each chunk is sent, and retried, under its own number. */
    private long chunks;
    private boolean truncated;
    private boolean incomplete;

    JobOutput(JobQueue queue, Lease lease, long limit, QueueRetry retry) {
        this.queue = queue;
        this.lease = lease;
        this.limit = limit;
        this.retry = retry;
    }

    @Override
    public synchronized void write(Stream stream, byte[] data, int offset, int length) {
        if (truncated) {
            return;
        }
        long room = limit - written;
        int keep = (int) Math.min(length, room);
        if (keep > 0) {
            store(stream, Arrays.copyOfRange(data, offset, offset + keep));
            written += keep;
        }
        if (keep < length) {
            truncated = true;
            String notice = "\n[hangar: output truncated at " + limit + " bytes (resources.outputBytes)]\n";
            store(Stream.STDERR, notice.getBytes(StandardCharsets.UTF_8));
        }
    }

    /**
     * Retried as long as the lease lasts, as the agent's other queue calls are (a queue restart, a
     * failover): a chunk whose reply was lost may have been stored, and its number keeps the queue
     * from storing it twice. A chunk that could not be stored even so marks the output incomplete
     * (reported as truncated). The job's process waits meanwhile, as a pipe that is not read. Once
     * one chunk has waited out the lease in vain, the rest are tried once each, so that a run cut
     * off from the queue ends within one lease, however much output it had left.
     */
    private void store(Stream stream, byte[] chunk) {
        long number = ++chunks;
        Supplier<Boolean> append = () -> queue.appendLog(lease, number, stream, chunk); // false: the lease is lost
        try {
            if (incomplete) {
                append.get();
            } else {
                retry.call("storing output of job " + lease.jobId(), append);
            }
        } catch (QueueException e) {
            incomplete = true;
            LOG.log(System.Logger.Level.WARNING, "job " + lease.jobId() + ": lost " + chunk.length + " bytes of output: "
                    + e.getMessage());
        }
    }

    /** True when output was cut off at the limit, or a chunk of it could not be stored. */
    synchronized boolean truncated() {
        return truncated || incomplete;
    }
}
