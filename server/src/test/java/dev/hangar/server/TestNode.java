package dev.hangar.server;

import dev.hangar.core.cluster.NodeInfo;
import dev.hangar.core.job.SpecLimits;
import dev.hangar.core.runtime.RuntimeStatus;
import java.util.List;
import java.util.Set;
import java.util.function.Consumer;

/** A NodeView of one made-up node, "n1", backed by a {@link LocalNode}. */
public final class TestNode implements NodeView {
    static final NodeInfo INFO = new NodeInfo("n1", NodeInfo.State.JOINED, new NodeInfo.Capacity(8, 4096, 1),
            List.of("process"));

    public final LocalNode local;
    private final SpecLimits limits;

    TestNode() {
        this(INFO);
    }

    /** A node that says it is {@code info}, with limits to match its capacity. */
    public TestNode(NodeInfo info) {
        this.local = new LocalNode(() -> info);
        this.limits = SpecLimits.forNode(info.capacity().cpus(), info.capacity().memoryMb(), info.capacity().gpus(),
                Set.of("process"));
    }

    /** The node "n1", whose limits name these images as those it has. */
    TestNode(Set<String> images) {
        this.local = new LocalNode(() -> INFO);
        this.limits = new TestNode().limits.withImages(images);
    }

    @Override
    public List<RuntimeStatus> runtimes() {
        return List.of();
    }

    @Override
    public SpecLimits limits() {
        return limits;
    }

    @Override
    public List<NodeInfo> nodes() {
        return local.nodes();
    }

    @Override
    public AutoCloseable watchNodes(Consumer<NodeInfo> listener) {
        return local.watch(listener);
    }

    /** The node's runtimes and limits, for a test to change one other part of what a node view says. */
    static class Like implements NodeView {
        private final TestNode node = new TestNode();

        @Override
        public List<RuntimeStatus> runtimes() {
            return node.runtimes();
        }

        @Override
        public SpecLimits limits() {
            return node.limits();
        }
    }
}
