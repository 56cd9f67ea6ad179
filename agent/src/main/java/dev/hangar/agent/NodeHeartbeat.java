package dev.hangar.agent;

import dev.hangar.core.cluster.NodeRegistry;
import dev.hangar.core.cluster.NodeStatus;
import dev.hangar.core.queue.RepeatedWarning;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.Map;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.function.Consumer;
import java.util.function.Function;

/**
 * Keeps this node in the cluster's registry: a heartbeat every third of the time to live, so two
 * missed beats in a row do not drop it, while a node that died drops out within one time to live.
 * Each beat also reads whether the node is asked to drain, and which labels it is asked to have in place
 * of its own, and tells the node before it beats, so that the heartbeat says the node has seen them.
 */
public final class NodeHeartbeat implements AutoCloseable {
    private static final System.Logger LOG = System.getLogger(NodeHeartbeat.class.getName());

    private final NodeRegistry registry;
    private final RepeatedWarning beating = new RepeatedWarning(LOG, "heartbeat");
    private final Function<Clock, NodeStatus> describe;
    private final Consumer<Instant> onDrainAsked;
    private final Consumer<Map<String, String>> onLabelsAsked;
    private final Duration ttl;
    private final Clock clock;
    private final ScheduledExecutorService beats = Executors.newSingleThreadScheduledExecutor(
            Thread.ofPlatform().daemon().name("node-heartbeat").factory());
    private volatile String nodeName;

    /**
     * {@code describe} is asked at each beat, so the load it advertises is current; at each beat, before
     * it, {@code onDrainAsked} is told when the node was asked to drain (null: it is not), and {@code
     * onLabelsAsked} which labels it is asked to have in place of its own (null: its own); each may be
     * told the same again.
     */
    public NodeHeartbeat(NodeRegistry registry, Function<Clock, NodeStatus> describe, Consumer<Instant> onDrainAsked,
            Consumer<Map<String, String>> onLabelsAsked, Duration ttl, Clock clock) {
        this.registry = registry;
        this.describe = describe;
        this.onDrainAsked = onDrainAsked;
        this.onLabelsAsked = onLabelsAsked;
        this.ttl = ttl;
        this.clock = clock;
    }

    /** Beats once now (so the node is listed when this returns), then on schedule. */
    public NodeHeartbeat start() {
        beat();
        long every = Math.max(1, ttl.toMillis() / 3);
        beats.scheduleWithFixedDelay(this::beatQuietly, every, every, TimeUnit.MILLISECONDS);
        return this;
    }

    private void beat() {
        String name = nodeName;
        if (name == null) {
            name = describe.apply(clock).name();
            nodeName = name;
        }
        // told at every beat: an ask taken back before the node saw it must reach it too
        onDrainAsked.accept(registry.drainAsked().get(name));
        onLabelsAsked.accept(registry.labelsAsked().get(name));
        registry.heartbeat(describe.apply(clock), ttl);
    }

    private void beatQuietly() {
        try {
            beat();
            beating.succeeded();
        } catch (RuntimeException | Error e) { // an Error too: a scheduled task that throws is never run again
            // the store may be restarting: the next beat tries again, well within the time to live
            beating.failed("", e);
        }
    }

    /** Stops beating and takes the node out of the registry at once. */
    @Override
    public void close() {
        beats.shutdownNow();
        try {
            // why: a beat already under way would put the node back after it left
            beats.awaitTermination(5, java.util.concurrent.TimeUnit.SECONDS);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
        if (nodeName != null) {
            try {
                registry.leave(nodeName);
            } catch (RuntimeException e) {
                LOG.log(System.Logger.Level.WARNING, "leaving the registry failed; the node drops out when its heartbeat expires", e);
            }
        }
    }
}
