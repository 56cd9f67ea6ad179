package dev.hangar.core.pool;

import java.util.List;

/** The body of {@code GET /v1/pools}: the node's memory budget for warm sandboxes and every pool. */
public record PoolList(PoolsView.Budget budget, List<PoolStatus> pools) {
    public PoolList {
        pools = List.copyOf(pools);
    }
}
