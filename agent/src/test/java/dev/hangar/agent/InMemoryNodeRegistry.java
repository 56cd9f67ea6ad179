package dev.hangar.agent;

import dev.hangar.core.cluster.NodeRegistry;
import dev.hangar.core.cluster.NodeStatus;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CopyOnWriteArrayList;

/** A registry in memory that keeps every heartbeat, with the drain and label asks a test puts in it. */
final class InMemoryNodeRegistry implements NodeRegistry {
    final List<NodeStatus> beats = new CopyOnWriteArrayList<>();
    final Map<String, Instant> drainAsked = new ConcurrentHashMap<>();
    final Map<String, Map<String, String>> labelsAsked = new ConcurrentHashMap<>();

    @Override
    public void heartbeat(NodeStatus status, Duration ttl) {
        beats.add(status);
    }

    @Override
    public void leave(String nodeName) {}

    @Override
    public List<NodeStatus> nodes() {
        return beats.isEmpty() ? List.of() : List.of(beats.getLast());
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
