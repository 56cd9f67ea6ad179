package dev.hangar.queue.testkit;

import dev.hangar.core.cluster.NodeRegistry;
import dev.hangar.core.cluster.NodeStatus;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ConcurrentSkipListMap;
import java.util.concurrent.CopyOnWriteArrayList;

/**
 * The node registry as the nodes' heartbeats would leave it, in memory, for tests: expiry is a
 * removal here. It keeps every heartbeat too, and the asks to drain and relabel, which a test may
 * also put in by hand.
 */
public final class InMemoryNodeRegistry implements NodeRegistry {
    /** Every heartbeat, in order. */
    public final List<NodeStatus> beats = new CopyOnWriteArrayList<>();
    public final Map<String, Instant> drainAsked = new ConcurrentHashMap<>();
    public final Map<String, Map<String, String>> labelsAsked = new ConcurrentHashMap<>();
    private final Map<String, NodeStatus> nodes = new ConcurrentSkipListMap<>();

    @Override
    public void heartbeat(NodeStatus status, Duration ttl) {
        beats.add(status);
        nodes.put(status.name(), status);
    }

    @Override
    public void leave(String nodeName) {
        nodes.remove(nodeName);
    }

    /** The nodes up, by name. */
    @Override
    public List<NodeStatus> nodes() {
        return List.copyOf(nodes.values());
    }

    @Override
    public void drain(String nodeName, Instant at) {
        if (at != null) {
            drainAsked.putIfAbsent(nodeName, at);
        } else {
            drainAsked.remove(nodeName);
        }
    }

    @Override
    public Map<String, Instant> drainAsked() {
        return Map.copyOf(drainAsked);
    }

    @Override
    public void relabel(String nodeName, Map<String, String> labels) {
        if (labels != null) {
            labelsAsked.put(nodeName, Map.copyOf(labels));
        } else {
            labelsAsked.remove(nodeName);
        }
    }

    @Override
    public Map<String, Map<String, String>> labelsAsked() {
        return Map.copyOf(labelsAsked);
    }
}
