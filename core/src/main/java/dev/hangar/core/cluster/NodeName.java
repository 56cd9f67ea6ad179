package dev.hangar.core.cluster;

import java.util.regex.Pattern;

/** What a node's name may be: it names the node in Redis keys, metrics labels, tables and filters. */
public final class NodeName {
    /** As a host name's label is. */
    public static final Pattern PATTERN = Pattern.compile("[A-Za-z0-9][A-Za-z0-9._-]{0,62}");
    /** What {@link #PATTERN} asks, as a refusal says it. */
    public static final String RULE = "must be 1 to 63 letters, digits or . _ - (starting with a letter or digit), as a"
            + " host name is";

    private NodeName() {}

    public static boolean valid(String name) {
        return name != null && PATTERN.matcher(name).matches();
    }
}
