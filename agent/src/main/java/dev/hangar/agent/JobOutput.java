package dev.hangar.agent;

import dev.hangar.core.job.OutputNotice;
import dev.hangar.core.queue.JobQueue;
import dev.hangar.core.queue.Lease;
import dev.hangar.core.queue.QueueException;
import dev.hangar.core.runtime.OutputSink;
import java.nio.charset.StandardCharsets;
import java.util.Arrays;

/**
 * A job's output on its way to the store, cut off at the job's output limit: past it, output is
 * counted but dropped, and one notice says so. It is stored under the job's lease: once the lease
 * is lost, the queue drops this run's output (the job may be running elsewhere by then). Output that
 * could not be stored within a lease loses the run (see {@link #lost()}).
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
    private boolean lost;
    /** Told once, when the output is lost: the run is then of no use. */
    private final Runnable whenLost;

    JobOutput(JobQueue queue, Lease lease, long limit, QueueRetry retry, Runnable whenLost) {
        this.queue = queue;
        this.lease = lease;
        this.limit = limit;
        this.retry = retry;
        this.whenLost = whenLost;
    }

    @Override
    public synchronized void write(Stream stream, byte[] data, int offset, int length) {
        if (truncated || lost) {
            return;
        }
        long room = limit - written;
        int keep = (int) Math.min(length, room);
        if (keep == room) {
            keep = withoutBrokenCharacterAtTheEnd(data, offset, keep); // the last bytes the job may have stored
        }
        if (keep > 0) {
            store(stream, Arrays.copyOfRange(data, offset, offset + keep));
            written += keep;
        }
        if (keep < length) {
            truncated = true;
            store(Stream.STDERR, ("\n" + OutputNotice.of("output truncated at " + limit + " bytes (resources.outputBytes)"))
                    .getBytes(StandardCharsets.UTF_8));
        }
    }

    /**
     * The output's last bytes up to {@code keep}, less a UTF-8 character begun within them and not finished: the
     * limit cuts there, so the rest of it would never come (a job's output is most often text, and a broken byte
     * shows as garbage where it ends).
     */
    private static int withoutBrokenCharacterAtTheEnd(byte[] data, int offset, int keep) {
        for (int at = keep - 1; at >= 0 && at >= keep - 3; at--) {
            int b = data[offset + at] & 0xFF;
            if ((b & 0xC0) == 0x80) {
                continue; // a continuation byte: its character began further back
            }
            int length = b >= 0xF0 ? 4 : b >= 0xE0 ? 3 : b >= 0xC0 ? 2 : 1;
            return keep - at < length ? at : keep;
        }
        return keep;
    }

    /** Hangar's own word to whoever follows the job ({@link OutputNotice}); not counted against the job's output limit. */
    synchronized void notice(String text) {
        if (!truncated) {
            store(Stream.STDERR, OutputNotice.of(text).getBytes(StandardCharsets.UTF_8));
        }
    }

    /**
     * Retried as long as the lease lasts, as the agent's other queue calls are (a queue restart, a
     * failover): a chunk whose reply was lost may have been stored, and its number keeps the queue
     * from storing it twice. The job's process waits meanwhile, as a pipe that is not read. A chunk
     * that could not be stored even so loses the output: the rest is dropped, so that a run cut off
     * from the queue ends within one lease, however much output it had left.
     */
    private void store(Stream stream, byte[] chunk) {
        if (lost) {
            return; // e.g. the notice of a cut that came with the chunk that was lost
        }
        long number = ++chunks;
        try {
            // false: the lease is lost, and the queue dropped the chunk as it will the rest
            retry.call("storing output of job " + lease.jobId(), () -> queue.appendLog(lease, number, stream, chunk));
        } catch (QueueException e) {
            lose("its output could not be stored within its lease; this run is lost: " + e.getMessage(), null);
        } catch (RuntimeException e) {
            // why caught: thrown on, it would end the runtime's output reader, and the job would wait out its timeout
            lose("storing its output failed; this run is lost", e);
        }
    }

    private void lose(String why, Throwable cause) {
        lost = true;
        LOG.log(System.Logger.Level.WARNING, "job " + lease.jobId() + ": " + why, cause);
        whenLost.run();
    }

    /** True when output was cut off at the limit. */
    synchronized boolean truncated() {
        return truncated;
    }

    /**
     * True when a chunk could not be stored within a lease: the run's output is incomplete and the
     * queue may have handed the job to another node meanwhile, so the run counts as one whose lease
     * was lost, and its job runs again.
     */
    synchronized boolean lost() {
        return lost;
    }
}
