package dev.hangar.core.cluster;

import java.util.regex.Pattern;

/** What a node's name may be: it names the node in Redis keys, metrics labels, tables and API paths. */
public final class NodeNames {
    private static final Pattern VALID = Pattern.compile("[A-Za-z0-9][A-Za-z0-9._-]{0,62}");
    /** Why a name is refused, to follow the field that gave it. */
    public static final String RULE = "must be 1 to 63 letters, digits or . _ - (starting with a letter or digit), as a"
            + " host name is";

    private NodeNames() {}

    public static boolean valid(String name) {
        return name != null && VALID.matcher(name).matches();
    }
}
