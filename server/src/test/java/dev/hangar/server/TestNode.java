package dev.hangar.server;

import dev.hangar.core.job.SpecLimits;
import dev.hangar.core.runtime.RuntimeStatus;
import java.util.List;
import java.util.Set;
import java.util.function.Consumer;

/** A NodeView of one made-up node, "n1", backed by a {@link LocalNode}. */
final class TestNode implements NodeView {
    static final NodeInfo INFO = new NodeInfo("n1", NodeInfo.State.JOINED, new NodeInfo.Capacity(8, 4096, 1),
            List.of("process"));

    final LocalNode local = new LocalNode(() -> INFO);

    @Override
    public List<RuntimeStatus> runtimes() {
        return List.of();
    }

    @Override
    public SpecLimits limits() {
        return SpecLimits.forNode(8, 4096, 1, Set.of("process"));
    }

    @Override
    public List<NodeInfo> nodes() {
        return local.nodes();
    }

    @Override
    public AutoCloseable watchNodes(Consumer<NodeInfo> listener) {
        return local.watch(listener);
    }
}
