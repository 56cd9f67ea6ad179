package dev.hangar.server;

import dev.hangar.core.cluster.NodeInfo;
import java.util.List;
import java.util.function.Consumer;
import java.util.function.Supplier;

/**
 * The one node of one-JVM mode, as a tiny node registry: it joins when the node starts and is lost
 * when it stops. Backs {@link NodeView#nodes()} and {@link NodeView#watchNodes}.
 */
public final class LocalNode {

    private final Supplier<NodeInfo> describe;
    private final NodeListeners listeners = new NodeListeners();
    private volatile NodeInfo current;

    /**
     * {@code describe} is asked when the node joins, so it sees the runtimes the agent probed, and
     * each time the node is listed, so that its load and runtimes are as they are now.
     */
    public LocalNode(Supplier<NodeInfo> describe) {
        this.describe = describe;
    }

    /** Announces the node as JOINED; again after {@link #leave()} only. */
    public synchronized void join() {
        if (current == null) {
            current = describe.get().withState(NodeInfo.State.JOINED);
            listeners.tell(current);
        }
    }

    /** Announces the node as LOST. */
    public synchronized void leave() {
        if (current != null) {
            NodeInfo lost = current.withState(NodeInfo.State.LOST);
            current = null;
            listeners.tell(lost);
        }
    }

    public List<NodeInfo> nodes() {
        return current == null ? List.of() : List.of(describe.get().withState(NodeInfo.State.JOINED));
    }

    public AutoCloseable watch(Consumer<NodeInfo> listener) {
        return listeners.add(listener);
    }

}
