package dev.hangar.server;

import java.util.List;

/**
 * A node as the events stream, {@code /v1/nodes} and the metrics describe it.
 *
 * @param capacity what jobs may reserve on it in total (CPUs may be overcommitted over its cores)
 * @param runtimes the names of its runtimes whose probe found them available
 */
public record NodeInfo(String name, State state, Capacity capacity, List<String> runtimes) {
    public enum State { JOINED, LOST }

    public record Capacity(double cpus, long memoryMb, int gpus) {}

    public NodeInfo {
        runtimes = List.copyOf(runtimes);
    }

    public NodeInfo withState(State value) {
        return new NodeInfo(name, value, capacity, runtimes);
    }
}
