package dev.hangar.core.cluster;

import java.time.Instant;

/**
 * A node asked to drain, as the registry keeps the ask: through the node's restarts, until it is
 * taken back, whether or not the node is up.
 *
 * @param node    the node's name
 * @param askedAt when it was first asked
 * @param up      whether a node of that name is up now (one that is not comes back drained)
 */
public record DrainAsk(String node, Instant askedAt, boolean up) {}
