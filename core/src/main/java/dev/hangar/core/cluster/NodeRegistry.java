package dev.hangar.core.cluster;

import java.time.Duration;
import java.util.List;

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
}
