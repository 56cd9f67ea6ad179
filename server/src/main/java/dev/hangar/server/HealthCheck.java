package dev.hangar.server;

import dev.hangar.core.job.SpecLimits;
import dev.hangar.core.queue.QueueBackend;
import dev.hangar.core.queue.QueueException;
import dev.hangar.core.queue.UnconfirmedWriteException;
import dev.hangar.server.auth.Caller;
import java.time.Duration;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.concurrent.atomic.AtomicReference;
import java.util.function.Supplier;

/**
 * {@code /healthz}, liveness: 200 while the process serves, even with its queue away (a probe that restarted
 * servers then would only add to a Redis failover; {@code /readyz} says whether calls can be served). With the
 * count of jobs by state, which counts every tenant's, for an admin (or anyone on a server without tokens).
 */
final class HealthCheck {
    private static final System.Logger LOG = System.getLogger(HealthCheck.class.getName());
    /** How long an answer waits for the queue before it is given without it. */
    static final Duration QUEUE_WAIT = Duration.ofMillis(500);

    private final QueueBackend queue;
    private final NodeView nodes;
    // why one call under way for all probes: a call to a queue gone silent waits its command timeout, and probes
    // (which need no token) would each leave one more behind them meanwhile
    private final AtomicReference<CompletableFuture<Object>> counting = new AtomicReference<>();
    private final AtomicReference<CompletableFuture<Object>> pinging = new AtomicReference<>();

    HealthCheck(QueueBackend queue, NodeView nodes) {
        this.queue = queue;
        this.nodes = nodes;
    }

    Map<String, Object> answer(Caller caller) {
        var health = new LinkedHashMap<String, Object>();
        health.put("status", "ok");
        // why bounded: a liveness probe times out in a second or so; the answer must come while the process
        // serves, whatever the queue does
        // why the admin's count pings first: a count is a read, which a store that refuses writes still answers
        var asked = caller.admin() ? underWay(counting, () -> {
            ready();
            return queue.countByState();
        }) : underWay(pinging, () -> {
            ready();
            return null;
        });
        try {
            Object jobs = asked.get(QUEUE_WAIT.toMillis(), TimeUnit.MILLISECONDS);
            if (jobs != null) {
                health.put("jobs", jobs);
            }
            health.put("queue", "up");
        } catch (ExecutionException e) {
            if (!(e.getCause() instanceof QueueException)) {
                LOG.log(System.Logger.Level.WARNING, "the health check's call to the queue failed", e.getCause());
            }
            health.put("queue", "unavailable: " + (e.getCause() instanceof QueueException away
                    ? queueTrouble(away, caller) : "the job queue failed to answer (see the server's log)"));
        } catch (TimeoutException e) {
            health.put("queue", "unavailable: the job queue did not answer within " + QUEUE_WAIT.toMillis() + " ms");
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            health.put("queue", "unavailable: interrupted");
        }
        health.put("capacity", capacity());
        return health;
    }

    /**
     * Readiness: returns if the queue answered a ping within the last second, else pings it, throwing what the ping
     * throws. Why remembered: a ping may write (Redis's does), and anyone may ask, as often as they like.
     */
    void ready() {
        long now = System.nanoTime();
        if (now - lastReadyNanos < READY_KEPT.toNanos() && lastReadyNanos != 0) {
            return;
        }
        queue.ping();
        lastReadyNanos = System.nanoTime();
    }

    private volatile long lastReadyNanos;
    /** How long a ping that answered says the queue is ready. */
    static final Duration READY_KEPT = Duration.ofSeconds(1);

    /** The call under way in {@code slot}, or a new one if none is. */
    private static CompletableFuture<Object> underWay(AtomicReference<CompletableFuture<Object>> slot,
            Supplier<Object> call) {
        while (true) {
            CompletableFuture<Object> current = slot.get();
            if (current != null && !current.isDone()) {
                return current;
            }
            var started = new CompletableFuture<Object>();
            if (slot.compareAndSet(current, started)) {
                try {
                    Thread.ofVirtual().name("healthz queue check").start(() -> {
                        try {
                            started.complete(call.get());
                        } catch (Throwable e) { // an Error too: a call never completed would stand for every probe
                            started.completeExceptionally(e);
                        }
                    });
                } catch (RuntimeException | Error e) {
                    started.completeExceptionally(e);
                }
                return started;
            }
        }
    }

    /**
     * Why the queue does not answer, as a caller may read it: the queue's address and error for an
     * admin (anyone, on a server without tokens); for others, which may be any caller of the health
     * probes, only that it is away (the server's log has the rest), or, for a write it made but could
     * not confirm, that it may have been made, lest a caller make it twice.
     */
    static String queueTrouble(QueueException e, Caller caller) {
        if (caller.admin()) {
            return e.getMessage();
        }
        return e instanceof UnconfirmedWriteException ? UnconfirmedWriteException.TOLD
                : "the job queue does not answer; try again shortly";
    }

    /** The largest node's capacity; none before a node is known (when the limits are a job's word). */
    private Map<String, Number> capacity() {
        SpecLimits limits = nodes.limits();
        return nodes.anyNodeKnown()
                ? Map.of("cpus", limits.maxCpus(), "memoryMb", limits.maxMemoryMb(), "gpus", limits.maxGpus())
                : Map.of("cpus", 0, "memoryMb", 0, "gpus", 0);
    }
}
