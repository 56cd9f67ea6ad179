package dev.hangar.server;

import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.function.Consumer;
import java.util.function.Supplier;

/**
 * The one node of one-JVM mode, as a tiny node registry: it joins when the node starts and is lost
 * when it stops. Backs {@link NodeView#nodes()} and {@link NodeView#watchNodes}.
 */
public final class LocalNode {
    private static final System.Logger LOG = System.getLogger(LocalNode.class.getName());

    private final Supplier<NodeInfo> describe;
    private final List<Consumer<NodeInfo>> listeners = new CopyOnWriteArrayList<>();
    private volatile NodeInfo current;

    /** {@code describe} is asked when the node joins, so it sees the runtimes the agent probed. */
    public LocalNode(Supplier<NodeInfo> describe) {
        this.describe = describe;
    }

    /** Announces the node as JOINED; again after {@link #leave()} only. */
    public synchronized void join() {
        if (current == null) {
            current = describe.get().withState(NodeInfo.State.JOINED);
            tell(current);
        }
    }

    /** Announces the node as LOST. */
    public synchronized void leave() {
        if (current != null) {
            NodeInfo lost = current.withState(NodeInfo.State.LOST);
            current = null;
            tell(lost);
        }
    }

    public List<NodeInfo> nodes() {
        NodeInfo node = current;
        return node == null ? List.of() : List.of(node);
    }

    public AutoCloseable watch(Consumer<NodeInfo> listener) {
        listeners.add(listener);
        return () -> listeners.remove(listener);
    }

    private void tell(NodeInfo node) {
        for (Consumer<NodeInfo> listener : listeners) {
            try {
                listener.accept(node);
            } catch (RuntimeException e) {
                LOG.log(System.Logger.Level.WARNING, "node listener " + listener + " failed", e);
            }
        }
    }
}
