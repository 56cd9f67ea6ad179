package dev.hangar.core.cluster;

import java.util.Map;

/**
 * The labels a node is asked to have in place of those it was started with ({@code --label}), as the
 * registry keeps them: through the node's restarts, until changed or taken back, whether or not it is up.
 *
 * @param node   the node's name
 * @param labels the labels asked, all of them (empty: none)
 * @param up     whether a node of that name is up now
 */
public record LabelAsk(String node, Map<String, String> labels, boolean up) {
    public LabelAsk {
        labels = labels == null ? Map.of() : Map.copyOf(labels);
    }
}
