package dev.hangar.queue.redis;

import dev.hangar.core.queue.QueueException;
import dev.hangar.core.queue.QueueListener;
import dev.hangar.core.queue.QueueListeners;
import dev.hangar.core.queue.RepeatedWarning;
import io.lettuce.core.Limit;
import io.lettuce.core.Range;
import io.lettuce.core.StreamMessage;
import io.lettuce.core.XReadArgs;
import io.lettuce.core.XReadArgs.StreamOffset;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.locks.LockSupport;

/**
 * Tells listeners of the changes every process makes: each script that changes a job appends what
 * changed to the stream {@code P:changes}, and one thread per backend reads that stream
 * (XREAD BLOCK, on a connection of its own) and tells the listeners, entry by entry, in stream order,
 * which is commit order. It starts with the first subscription, from the end of the stream then.
 *
 * <p>A writer that asks to ({@link #awaitTold}; the backend does for cancels) waits until the
 * listeners were told of its own change, so that this process's agent hears of a cancel before the
 * call returns; but it does not wait while listeners are being told
 * of an earlier change (one of them may be waiting for this very write, e.g. an agent woken by a new
 * job that leases it): that change's turn comes after. A waiting writer parks, and the reader wakes
 * just the writers it has released. The other writes (submits, the lease holder's, upkeep) do not wait: their
 * listeners, like those of every other process, hear of them a moment after they committed.
 *
 * <p>An entry carries what changed, not the whole job: {@link JobViews} keeps the jobs' views up to
 * date from it. Spec and selection JSON is parsed once per text (see {@link JobHash}).
 */
final class ChangeFeed implements AutoCloseable {
    private static final System.Logger LOG = System.getLogger(ChangeFeed.class.getName());
    /** How long a writer waits for its change to be told before it gives up (Redis unreachable, say). */
    private static final Duration MOST_WAIT = Duration.ofSeconds(5);
    /** Changes read per call; the change log keeps at least this many (RedisSettings), see read(). */
    static final int BATCH = 100;

    private final RedisLink link;
    private final RedisKeys keys;
    private final Duration block;
    private final QueueListeners listeners = new QueueListeners();
    private final JobViews views;
    private final Object lock = new Object();
    /** Writers waiting in {@link #awaitTold}. */
    private final ConcurrentLinkedQueue<Waiter> waiters = new ConcurrentLinkedQueue<>();
    private volatile StreamId told; // the last entry fully told; written by the reader (and add)
    private volatile StreamId telling; // the entry being told, or null; written by the reader
    private RedisLink.Dedicated connection; // guarded by lock
    private volatile Thread reader;
    private volatile boolean closed;
    private volatile boolean reconnected;
    /** Only the reader thread reads and writes it. */
    private boolean readFailed;
    private volatile boolean readerReconnected;
    /**
     * The run id of the Redis serving the change log when this reader last looked ("" not known): on a
     * cluster a master that failed over to its replica within a call's timeout, the reader's call sent
     * on to the replica, shows in no failed read and no reconnect of the reader's own; only in another
     * run id, looked at every {@link #RUN_ID_EVERY}. The reader's alone, as is when it last looked.
     */
    private String servedBy = "";
    private long servedByReadAt;
    /** Whether an outage of the reader's was just told of: the next look at the run id tells nothing more. */
    private boolean outageTold;
    static final Duration RUN_ID_EVERY = Duration.ofSeconds(2);

    /** How long a change whose job cannot be read is tried again before it is skipped (see tell). */
    static final Duration RETRY_FOR = Duration.ofSeconds(30);
    /** Since when (System.nanoTime()) the change being told has been tried again, or 0; the reader's alone. */
    private long retryingSince;
    private final RepeatedWarning stalled = new RepeatedWarning(LOG, "telling a queue change");

    private record Waiter(StreamId change, Thread thread) {}

    ChangeFeed(RedisLink link, RedisKeys keys, Duration commandTimeout) {
        this.link = link;
        this.keys = keys;
        this.views = new JobViews(link, keys);
        // a Redis that restarted may have lost the last writes (AOF fsync'd every second): views
        // built from changes it no longer has are read afresh
        link.onConnected(() -> reconnected = true);
        this.block = Duration.ofMillis(Math.max(10, Math.min(1000, commandTimeout.toMillis() / 2)));
    }

    AutoCloseable add(QueueListener listener) {
        synchronized (lock) {
            if (closed) {
                throw new IllegalStateException("the queue is closed");
            }
            if (reader == null) {
                lookWhoServes();
                told = last();
                connection = link.connectAnother();
                link.onReconnected(connection, () -> readerReconnected = true);
                reader = Thread.ofPlatform().daemon().name("hangar-redis-changes").start(this::read);
            }
        }
        return listeners.add(listener);
    }

    /** Waits until the listeners were told of this change (see the class comment). */
    void awaitTold(String changeId) {
        if (changeId == null || listeners.isEmpty() || Thread.currentThread() == reader) {
            return;
        }
        StreamId change = StreamId.parse(changeId);
        if (released(change)) {
            return;
        }
        Waiter waiter = new Waiter(change, Thread.currentThread());
        waiters.add(waiter); // then look again: the reader wakes those it finds queued after it moved on
        try {
            long deadline = System.nanoTime() + MOST_WAIT.toNanos();
            while (!released(change)) {
                long left = deadline - System.nanoTime();
                if (left <= 0) {
                    LOG.log(System.Logger.Level.WARNING, "listeners were not told of change " + changeId + " within "
                            + MOST_WAIT + "; going on");
                    return;
                }
                LockSupport.parkNanos(this, left);
                if (Thread.currentThread().isInterrupted()) {
                    return;
                }
            }
        } finally {
            waiters.remove(waiter);
        }
    }

    /** Whether a writer of this change may go on: it was told, or an earlier one is being told. */
    private boolean released(StreamId change) {
        if (closed || told.compareTo(change) >= 0) {
            return true;
        }
        StreamId now = telling;
        return now != null && now.compareTo(change) < 0;
    }

    /** Wakes the waiting writers that may go on now. */
    private void release() {
        for (Waiter waiter : waiters) {
            if (released(waiter.change())) {
                LockSupport.unpark(waiter.thread());
            }
        }
    }

    /** Reads which Redis serves the queue's keys now; true if another than the last one seen. */
    private boolean lookWhoServes() {
        servedByReadAt = System.nanoTime();
        String now = servingRunId();
        if (now.isEmpty() || now.equals(servedBy)) {
            return false; // (not known now: looked at again next time)
        }
        boolean another = !servedBy.isEmpty();
        servedBy = now;
        return another;
    }

    /** The run id of the Redis that serves the queue's keys, or "" when it cannot be read now. */
    private String servingRunId() {
        try {
            String info = link.callOnSlotMaster("INFO server", redis -> redis.info("server"));
            return info.lines().filter(line -> line.startsWith("run_id:")).map(line -> line.substring(7).strip())
                    .findFirst().orElse("");
        } catch (RuntimeException e) {
            return "";
        }
    }

    private StreamId last() {
        List<StreamMessage<byte[], byte[]>> last = link.call("XREVRANGE " + keys.changes(),
                redis -> redis.xrevrange(RedisLink.bytes(keys.changes()), Range.unbounded(), Limit.from(1)));
        return last.isEmpty() ? StreamId.ZERO : StreamId.parse(last.getFirst().getId());
    }

    private void read() {
        StreamId from = told;
        XReadArgs args = XReadArgs.Builder.block(block).count(BATCH);
        byte[] stream = RedisLink.bytes(keys.changes());
        while (!closed) {
            List<StreamMessage<byte[], byte[]>> batch;
            try {
                batch = connection.sync().xread(args, StreamOffset.from(stream, from.toString()));
            } catch (RuntimeException e) {
                if (!closed) {
                    // Redis away or restarting: Lettuce reconnects, we read on from where we were
                    LOG.log(System.Logger.Level.DEBUG, "reading queue changes failed; retrying", e);
                    readFailed = true;
                    pause();
                }
                continue;
            }
            if (reconnected) {
                reconnected = false;
                views.forgetAll();
            }
            if (readFailed || readerReconnected) {
                // why only after this reader's own outage: any connection made (this one's first, a
                // cluster node's) sets reconnected, and listeners must not reload for nothing
                readFailed = false;
                readerReconnected = false;
                outageTold = true; // a restart's new run id, seen below, is not told of once more
                listeners.changesMissed("the queue's Redis was out of reach; a restarted Redis may have lost its last writes");
            }
            // Only a full batch can follow a trim past `from`: what is left is then all after it, and
            // the capped log keeps at least BATCH entries. From the start of a log empty when this reader
            // came, every entry is after `from`, and none was missed
            if (batch.size() == BATCH && !from.equals(StreamId.ZERO) && trimmedPast(stream, from)) {
                // so far behind that the capped stream dropped changes not yet read: the views may lack
                // them, so each job is read afresh when it next changes
                views.forgetAll();
                listeners.changesMissed("changes were trimmed from the queue's change log before this process read them");
            }
            for (StreamMessage<byte[], byte[]> message : batch) {
                StreamId id = StreamId.parse(message.getId());
                if (!tell(id, message.getBody())) {
                    pause();
                    break; // read again from this change on
                }
                from = id;
            }
            // after the batch is told: a writer waits for its change, and this look may wait on a cluster changing
            if (outageTold || System.nanoTime() - servedByReadAt > RUN_ID_EVERY.toNanos()) {
                boolean another = lookWhoServes();
                if (another && !outageTold) {
                    views.forgetAll();
                    listeners.changesMissed("the queue's Redis is another now (failed over, or restarted): it may lack"
                            + " the last writes");
                }
                outageTold = false;
            }
        }
    }

    /** Whether the stream no longer holds this entry: trimming dropped it, and maybe more after it. */
    private boolean trimmedPast(byte[] stream, StreamId entry) {
        try {
            List<StreamMessage<byte[], byte[]>> oldest = connection.sync().xrange(stream, Range.unbounded(), Limit.from(1));
            return !oldest.isEmpty() && StreamId.parse(oldest.getFirst().getId()).compareTo(entry) > 0;
        } catch (RuntimeException e) {
            return true; // cannot tell: read the jobs afresh
        }
    }

    /**
     * Tells the listeners of a change; false if it is to be told again, its job's hash out of reach a
     * moment. Why again: this reader's connection may come back before the one jobs are read on
     * (Redis restarted, a network cut healed), and each change then skipped was a reset that made
     * every listener reload; a change still unreadable after {@link #RETRY_FOR} is skipped so.
     */
    private boolean tell(StreamId id, Map<byte[], byte[]> change) {
        telling = id;
        if (!waiters.isEmpty()) {
            release();
        }
        boolean done = true;
        try {
            Map<String, String> fields = Replies.fields(change);
            String kind = fields.remove("kind");
            String jobId = fields.remove("job");
            if ("log".equals(kind)) {
                listeners.logAppended(jobId);
            } else if (jobId != null) {
                var job = views.apply(jobId, fields);
                if (job != null) {
                    listeners.jobChanged(job);
                }
            }
            stalled.succeeded();
        } catch (QueueException e) {
            long now = System.nanoTime();
            retryingSince = retryingSince == 0 ? now : retryingSince;
            done = now - retryingSince >= RETRY_FOR.toNanos();
            stalled.failed(done ? "; skipping it" : "; telling it once the queue answers", e);
            if (done) {
                // why not the error: it names the queue's address, and every caller of /v1/events is told this (the
                // warning above has it for this process's log)
                listeners.changesMissed("queue change " + id + " could not be read (the server's log says why)");
            }
        } catch (RuntimeException | Error e) {
            // why Errors too (a job's view too big for the heap): this thread would die of it, and the listeners
            // hear of no change again while every cancel waits for them
            LOG.log(System.Logger.Level.WARNING, "cannot read queue change " + id, e);
            listeners.changesMissed("queue change " + id + " could not be read (the server's log says why)");
        } finally {
            telling = null;
            if (done) {
                told = id;
                retryingSince = 0;
            }
            if (!waiters.isEmpty()) {
                release();
            }
        }
        return done;
    }


    private static void pause() {
        try {
            Thread.sleep(200);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }

    @Override
    public void close() {
        Thread thread;
        synchronized (lock) {
            closed = true;
            thread = reader;
        }
        waiters.forEach(waiter -> LockSupport.unpark(waiter.thread()));
        if (thread != null) {
            connection.close(); // ends a blocked XREAD at once
            try {
                thread.join(block.multipliedBy(3).toMillis());
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
        }
    }
}
