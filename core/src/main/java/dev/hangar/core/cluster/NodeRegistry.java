package dev.hangar.core.cluster;

import java.time.Duration;
import java.time.Instant;
import java.util.List;
import dev.hangar.core.job.NodeLabels;
import java.util.Map;
import java.util.Set;

/**
 * The nodes of a cluster, as their heartbeats say. A node is there while its last heartbeat is
 * younger than the time to live it gave; one that stops beating drops out by itself, with no one
 * having to notice it died.
 */
public interface NodeRegistry {
    /** Says the node is alive, as described, for the next {@code ttl}. */
    void heartbeat(NodeStatus status, Duration ttl);

    /** Takes the node out at once, e.g. when its agent stops cleanly. */
    void leave(String nodeName);

    /** The nodes alive now, by name. */
    List<NodeStatus> nodes();

    /**
     * Asks the node to drain, to take no more jobs while those it runs finish (maintenance ahead), as of
     * {@code at}, or, with {@code at} null, to take jobs again. The ask stays until changed, through the
     * node's restarts; asked again, it keeps the first ask's time.
     */
    void drain(String nodeName, Instant at);

    /** The nodes asked to drain, up or not, with when each was asked. */
    Map<String, Instant> drainAsked();

    /** When the node was asked to drain; null if it is not. A node reads its own ask often: one field, not all. */
    default Instant drainAskedOf(String nodeName) {
        return drainAsked().get(nodeName);
    }

    /**
     * Gives the node these labels in place of those it was started with ({@code --label}), kept through
     * its restarts until changed; with {@code labels} null, its own again. The node takes them at its
     * next heartbeat.
     */
    void relabel(String nodeName, Map<String, String> labels);

    /**
     * Changes the labels the node is asked to have, in one step against any other change: those asked
     * before, or {@code own} (its own {@code --label} ones) if none were, with each label of {@code set}
     * set and each key of {@code removed} taken away. Returns the labels asked from now on; refused
     * (IllegalArgumentException, nothing changed) if they would be more than {@link NodeLabels#MAX}.
     */
    Map<String, String> changeLabels(String nodeName, Map<String, String> own, Map<String, String> set,
            Set<String> removed);

    /** The labels nodes are asked to have in place of their own, by node name, up or not. */
    Map<String, Map<String, String>> labelsAsked();

    /** The labels the node is asked to have in place of its own; null: its own. */
    default Map<String, String> labelsAskedOf(String nodeName) {
        return labelsAsked().get(nodeName);
    }
}
