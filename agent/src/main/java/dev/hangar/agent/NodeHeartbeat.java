package dev.hangar.agent;

import dev.hangar.core.cluster.NodeRegistry;
import dev.hangar.core.cluster.NodeStatus;
import dev.hangar.core.queue.QueueException;
import dev.hangar.core.queue.RepeatedWarning;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.Map;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.Executors;
import java.util.concurrent.FutureTask;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.function.Consumer;
import java.util.function.Function;

/**
 * Keeps this node in the cluster's registry: a heartbeat every third of the time to live, so two
 * missed beats in a row do not drop it, while a node that died drops out within one time to live.
 * Each beat also reads whether the node is asked to drain, and which labels it is asked to have in place
 * of its own, and tells the node before it beats, so that the heartbeat says the node has seen them.
 * Between beats it looks for a changed ask every {@link #ASK_LOOK} and beats at once on one, so that an
 * admin's drain is in force within that, not a beat's period.
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
    private final String nodeName;
    private final String instance;
    /** How often the node looks for a changed ask between beats: two small reads of the registry. */
    static final Duration ASK_LOOK = Duration.ofMillis(500);
    /** How long {@link #close} waits for the node to leave the registry. */
    static final Duration LEAVE_WAIT = Duration.ofSeconds(2);
    /** Whether it has beaten: only then is there a node to take out of the registry. */
    private volatile boolean started;
    /** The asks that the last heartbeat said the node has seen (null: none yet). */
    private volatile Asks beaten;

    /** What the cluster asks of the node: a drain (null: none), labels in place of its own (null: its own). */
    private record Asks(Instant drain, Map<String, String> labels) {}

    /**
     * {@code describe} is asked at each beat, so the load it advertises is current; at each beat, before
     * it, the asks of the node named {@code nodeName} are told ({@link #tellAsks}). Each beat says it is
     * from {@code instance} ({@link NodeInstance}).
     */
    public NodeHeartbeat(NodeRegistry registry, String nodeName, String instance, Function<Clock, NodeStatus> describe,
            Consumer<Instant> onDrainAsked, Consumer<Map<String, String>> onLabelsAsked, Duration ttl, Clock clock) {
        this.registry = registry;
        this.nodeName = nodeName;
        this.instance = instance;
        this.describe = describe;
        this.onDrainAsked = onDrainAsked;
        this.onLabelsAsked = onLabelsAsked;
        this.ttl = ttl;
        this.clock = clock;
    }

    /** Beats once now (so the node is listed when this returns), then on schedule. */
    public NodeHeartbeat start() {
        started = true;
        beat();
        long every = Math.max(1, ttl.toMillis() / 3);
        beats.scheduleWithFixedDelay(this::beatQuietly, every, every, TimeUnit.MILLISECONDS);
        if (every > ASK_LOOK.toMillis()) {
            beats.scheduleWithFixedDelay(this::lookForAsksQuietly, ASK_LOOK.toMillis(), ASK_LOOK.toMillis(),
                    TimeUnit.MILLISECONDS);
        }
        return this;
    }

    /**
     * Refuses the name while another agent beats under it (another host, or another data directory of this one): two
     * agents of one name would each give back the other's jobs as their own node's at a restart, and share one entry
     * of the registry. An agent restarted in place (the same instance) takes its name back at once. Call it before the
     * node's agent is made: one that fails to start gives back the jobs its name holds as it closes.
     */
    public static void claimName(NodeRegistry registry, String nodeName, String instance, Clock clock) {
        for (NodeStatus node : registry.nodes()) {
            if (node.name().equals(nodeName) && node.instance() != null && !node.instance().equals(instance)) {
                String age = node.heartbeatAt() == null ? ""
                        : String.format(" (its last heartbeat %.1f s ago)",
                                Duration.between(node.heartbeatAt(), clock.instant()).toMillis() / 1000.0);
                throw new IllegalArgumentException("--node-name: another agent is in the cluster as '" + nodeName
                        + "', from another host or data directory" + age + "; two agents of one name would take each"
                        + " other's jobs: give this one a name of its own");
            }
        }
    }

    /**
     * Tells the node what the cluster asks of it now: {@code onDrainAsked} when it was asked to drain (null:
     * it is not), {@code onLabelsAsked} which labels it is to have in place of its own (null: its own). At
     * each beat, and each may be told the same again: an ask taken back before the node saw it must reach
     * it too. Call it once before the node takes jobs, so that it takes none it was asked not to.
     */
    public void tellAsks() {
        tell(asks());
    }

    private Asks asks() {
        return new Asks(registry.drainAskedOf(nodeName), registry.labelsAskedOf(nodeName));
    }

    private void tell(Asks asks) {
        onDrainAsked.accept(asks.drain());
        onLabelsAsked.accept(asks.labels());
    }

    private void beat() {
        beatTelling(asks());
    }

    private void beatTelling(Asks asks) {
        tell(asks);
        registry.heartbeat(describe.apply(clock).fromInstance(instance), ttl);
        beaten = asks;
    }

    /**
     * Tells and beats at once when an ask changed since the last beat (or a beat that would have said it failed, which
     * the next look tries again); the beats say it when the store is away.
     */
    private void lookForAsksQuietly() {
        try {
            Asks now = asks();
            if (!now.equals(beaten)) {
                beatTelling(now);
            }
        } catch (RuntimeException | Error e) { // an Error too: a scheduled task that throws is never run again
            // the next beat tries again, and warns if it fails too
        }
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
        if (started) {
            leave();
        }
    }

    /**
     * Takes the node out of the registry, waiting for that {@link #LEAVE_WAIT} at most: leaving is a
     * courtesy (the heartbeat expires anyway), and a stop while the queue is away must not wait out
     * its command timeout for it.
     */
    private void leave() {
        var leaving = new FutureTask<Void>(() -> registry.leave(nodeName), null);
        Thread.ofVirtual().name("node-leave").start(leaving);
        String dropsOut = "; the node drops out when its heartbeat expires, within " + ttl.toSeconds() + " s";
        try {
            leaving.get(LEAVE_WAIT.toMillis(), TimeUnit.MILLISECONDS);
        } catch (ExecutionException e) {
            if (e.getCause() instanceof Error error) {
                throw error;
            }
            QueueException.warn(LOG, "leaving the registry failed" + dropsOut, (RuntimeException) e.getCause());
        } catch (TimeoutException e) {
            LOG.log(System.Logger.Level.WARNING, "leaving the registry did not finish within " + LEAVE_WAIT.toSeconds()
                    + " s (is the queue away?)" + dropsOut);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }
}
