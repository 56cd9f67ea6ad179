package dev.hangar.queue.redis;

import dev.hangar.core.queue.QueueListener;
import io.lettuce.core.Limit;
import io.lettuce.core.Range;
import io.lettuce.core.StreamMessage;
import io.lettuce.core.XReadArgs;
import io.lettuce.core.XReadArgs.StreamOffset;
import io.lettuce.core.api.StatefulRedisConnection;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.function.Consumer;

/**
 * Tells listeners of the changes every process makes: each script that changes a job appends the
 * job as it then is to the stream {@code P:changes}, and one thread per backend reads that stream
 * (XREAD BLOCK, on a connection of its own) and tells the listeners, entry by entry, in stream order,
 * which is commit order. It starts with the first subscription, from the end of the stream then.
 *
 * <p>A writer that has listeners waits until they were told of its own change, so that a listener
 * hears of a write before the write returns, as with the embedded backend; but it does not wait
 * while listeners are being told of an earlier change (one of them may be waiting for this very
 * write, e.g. an agent woken by a new job that leases it): that change's turn comes after.
 */
final class ChangeFeed implements AutoCloseable {
    private static final System.Logger LOG = System.getLogger(ChangeFeed.class.getName());
    /** How long a writer waits for its change to be told before it gives up (Redis unreachable, say). */
    private static final Duration MOST_WAIT = Duration.ofSeconds(5);

    private final RedisLink link;
    private final RedisKeys keys;
    private final Duration block;
    private final List<QueueListener> listeners = new CopyOnWriteArrayList<>();
    private final Object lock = new Object();
    private StreamId told; // guarded by lock: the last entry fully told
    private StreamId telling; // guarded by lock: the entry being told, or null
    private StatefulRedisConnection<byte[], byte[]> connection;
    private Thread reader;
    private volatile boolean closed;

    ChangeFeed(RedisLink link, RedisKeys keys, Duration commandTimeout) {
        this.link = link;
        this.keys = keys;
        this.block = Duration.ofMillis(Math.max(10, Math.min(1000, commandTimeout.toMillis() / 2)));
    }

    AutoCloseable add(QueueListener listener) {
        synchronized (lock) {
            if (closed) {
                throw new IllegalStateException("the queue is closed");
            }
            if (reader == null) {
                told = last();
                connection = link.connectAnother();
                reader = Thread.ofPlatform().daemon().name("hangar-redis-changes").start(this::read);
            }
        }
        listeners.add(listener);
        return () -> listeners.remove(listener);
    }

    /** Waits until the listeners were told of this change (see the class comment). */
    void awaitTold(String changeId) {
        if (changeId == null || listeners.isEmpty() || Thread.currentThread() == reader) {
            return;
        }
        StreamId change = StreamId.parse(changeId);
        long deadline = System.nanoTime() + MOST_WAIT.toNanos();
        synchronized (lock) {
            while (!closed && told.compareTo(change) < 0 && (telling == null || telling.compareTo(change) >= 0)) {
                long left = deadline - System.nanoTime();
                if (left <= 0) {
                    LOG.log(System.Logger.Level.WARNING, "listeners were not told of change " + changeId + " within "
                            + MOST_WAIT + "; going on");
                    return;
                }
                try {
                    lock.wait(Math.max(1, left / 1_000_000));
                } catch (InterruptedException e) {
                    Thread.currentThread().interrupt();
                    return;
                }
            }
        }
    }

    private StreamId last() {
        List<StreamMessage<byte[], byte[]>> last = link.call("XREVRANGE " + keys.changes(),
                redis -> redis.xrevrange(RedisLink.bytes(keys.changes()), Range.unbounded(), Limit.from(1)));
        return last.isEmpty() ? StreamId.ZERO : StreamId.parse(last.getFirst().getId());
    }

    private void read() {
        StreamId from;
        synchronized (lock) {
            from = told;
        }
        XReadArgs args = XReadArgs.Builder.block(block).count(100);
        while (!closed) {
            List<StreamMessage<byte[], byte[]>> batch;
            try {
                batch = connection.sync().xread(args, StreamOffset.from(RedisLink.bytes(keys.changes()), from.toString()));
            } catch (RuntimeException e) {
                if (!closed) {
                    // Redis away or restarting: Lettuce reconnects, we read on from where we were
                    LOG.log(System.Logger.Level.DEBUG, "reading queue changes failed; retrying", e);
                    pause();
                }
                continue;
            }
            for (StreamMessage<byte[], byte[]> message : batch) {
                from = StreamId.parse(message.getId());
                tell(from, Replies.fields(message.getBody()));
            }
        }
    }

    private void tell(StreamId id, Map<String, String> change) {
        synchronized (lock) {
            telling = id;
        }
        try {
            String jobId = change.get("job");
            if ("log".equals(change.get("kind"))) {
                each(listener -> listener.logAppended(jobId));
            } else {
                var job = JobHash.toJob(change);
                each(listener -> listener.jobChanged(job));
            }
        } catch (RuntimeException e) {
            LOG.log(System.Logger.Level.WARNING, "cannot read queue change " + id, e);
        } finally {
            synchronized (lock) {
                telling = null;
                told = id;
                lock.notifyAll();
            }
        }
    }

    /** A listener that throws is logged and skipped: it must not keep the others from hearing. */
    private void each(Consumer<QueueListener> call) {
        for (QueueListener listener : listeners) {
            try {
                call.accept(listener);
            } catch (RuntimeException e) {
                LOG.log(System.Logger.Level.WARNING, "queue listener " + listener + " failed", e);
            }
        }
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
            lock.notifyAll();
        }
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
