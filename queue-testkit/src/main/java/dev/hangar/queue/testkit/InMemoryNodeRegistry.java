package dev.hangar.queue.testkit;

import dev.hangar.core.cluster.NodeRegistry;
import dev.hangar.core.cluster.NodeStatus;
import dev.hangar.core.job.NodeLabels;
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
    /** The asks to drain and to relabel, by node: a test may put one in by hand. */
    public final Map<String, Instant> drainAsks = new ConcurrentHashMap<>();
    public final Map<String, Map<String, String>> labelAsks = new ConcurrentHashMap<>();
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
            drainAsks.putIfAbsent(nodeName, at);
        } else {
            drainAsks.remove(nodeName);
        }
    }

    @Override
    public Map<String, Instant> drainAsked() {
        return Map.copyOf(drainAsks);
    }

    @Override
    public void relabel(String nodeName, Map<String, String> labels) {
        if (labels != null) {
            labelAsks.put(nodeName, Map.copyOf(labels));
        } else {
            labelAsks.remove(nodeName);
        }
    }

    @Override
    public synchronized Map<String, String> changeLabels(String nodeName, Map<String, String> own,
            Map<String, String> set, java.util.Set<String> removed) {
        var changed = new java.util.TreeMap<>(labelAsks.getOrDefault(nodeName, own));
        changed.putAll(set);
        changed.keySet().removeAll(removed);
        NodeLabels.checkCount("labels", changed.size());
        labelAsks.put(nodeName, Map.copyOf(changed));
        return changed;
    }

    @Override
    public Map<String, Map<String, String>> labelsAsked() {
        return Map.copyOf(labelAsks);
    }
}
