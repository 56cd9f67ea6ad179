package dev.hangar.server;

import dev.hangar.core.cluster.NodeInfo;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.function.Consumer;

/** Who wants to hear of nodes joining and being lost; one that fails does not stop the others. */
final class NodeListeners {
    private static final System.Logger LOG = System.getLogger(NodeListeners.class.getName());

    private final List<Consumer<NodeInfo>> listeners = new CopyOnWriteArrayList<>();

    AutoCloseable add(Consumer<NodeInfo> listener) {
        listeners.add(listener);
        return () -> listeners.remove(listener);
    }

    void tell(NodeInfo node) {
        for (Consumer<NodeInfo> listener : listeners) {
            try {
                listener.accept(node);
            } catch (RuntimeException e) {
                LOG.log(System.Logger.Level.WARNING, "node listener " + listener + " failed", e);
            }
        }
    }
}
