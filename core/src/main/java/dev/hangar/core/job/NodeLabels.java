package dev.hangar.core.job;

import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Set;
import java.util.TreeMap;
import java.util.TreeSet;
import java.util.regex.Pattern;
import java.util.stream.Collectors;

/**
 * Labels an operator gives a node ({@code hangar agent --label gpu-model=a100}) and a job's
 * {@code nodeSelector}, which asks for nodes by them: a job runs only on a node that has every
 * label of its selector, with the same value. What a label may be is what lets the queues match
 * them as plain text ({@link #pairs}): a key holds no {@code =}, and neither holds a comma.
 */
public final class NodeLabels {
    /** A label's key: like a Kubernetes label's, a prefix with a slash allowed ({@code example.com/rack}). */
    public static final Pattern KEY = Pattern.compile("[A-Za-z0-9]([A-Za-z0-9._/-]{0,61}[A-Za-z0-9])?");
    /** A label's value. */
    public static final Pattern VALUE = Pattern.compile("[A-Za-z0-9]([A-Za-z0-9._-]{0,61}[A-Za-z0-9])?");
    public static final String KEY_RULE = "a label's key must be 1 to 63 letters, digits or . _ - /, starting and"
            + " ending with a letter or digit";
    public static final String VALUE_RULE = "a label's value must be 1 to 63 letters, digits or . _ -, starting and"
            + " ending with a letter or digit";
    /** The most labels a node may have, and the most a job's selector may name. */
    public static final int MAX = 32;

    private NodeLabels() {}

    /** What is wrong with these labels, each error naming {@code field.KEY} (or {@code field} for their number). */
    public static List<FieldError> errors(String field, Map<String, String> labels) {
        var errors = new ArrayList<FieldError>();
        if (labels.size() > MAX) {
            errors.add(new FieldError(field, "has " + tooMany(labels.size())));
            return errors;
        }
        labels.forEach((key, value) -> {
            if (key == null || !KEY.matcher(key).matches()) {
                errors.add(new FieldError(field, KEY_RULE + ", got '" + key + "'"));
            } else if (value == null || !VALUE.matcher(value).matches()) {
                errors.add(new FieldError(field + "." + key, VALUE_RULE + ", got "
                        + (value == null ? "null" : "'" + value + "'")));
            }
        });
        return errors;
    }

    /** {@code KEY=VALUE} as a command line gives a label; refused, naming the option, if it is not one. */
    public static Map.Entry<String, String> parse(String option, String text) {
        int eq = text.indexOf('=');
        if (eq < 0) {
            throw new IllegalArgumentException(option + ": '" + text + "' is not KEY=VALUE");
        }
        String key = text.substring(0, eq);
        String value = text.substring(eq + 1);
        if (!KEY.matcher(key).matches()) {
            throw new IllegalArgumentException(option + " " + text + ": " + KEY_RULE);
        }
        if (!VALUE.matcher(value).matches()) {
            throw new IllegalArgumentException(option + " " + text + ": " + VALUE_RULE);
        }
        return Map.entry(key, value);
    }

    /** Labels given as {@code KEY=VALUE} on a command line, each key once; refused, naming the option, if not. */
    public static Map<String, String> parseAll(String option, List<String> texts) {
        var labels = new TreeMap<String, String>();
        for (String text : texts) {
            var label = parse(option, text);
            if (labels.put(label.getKey(), label.getValue()) != null) {
                throw new IllegalArgumentException(option + ": " + label.getKey() + " is given twice");
            }
        }
        checkCount(option, labels.size());
        return labels;
    }

    /** Refuses, naming the option, more labels than a node may have. */
    public static void checkCount(String option, int count) {
        if (count > MAX) {
            throw new IllegalArgumentException(option + ": " + tooMany(count));
        }
    }

    private static String tooMany(int count) {
        return count + " labels; at most " + MAX + " are allowed";
    }

    /** Whether a node with these labels is one the selector asks for: it has each of them, with that value. */
    public static boolean matches(Map<String, String> selector, Map<String, String> labels) {
        return selector.entrySet().stream().allMatch(wanted -> wanted.getValue().equals(labels.get(wanted.getKey())));
    }

    /** Each label as {@code KEY=VALUE}, by key: how the queues store a selector and match it against a node's. */
    public static List<String> pairs(Map<String, String> labels) {
        return new TreeMap<>(labels).entrySet().stream().map(label -> label.getKey() + "=" + label.getValue()).toList();
    }

    /** Labels as {@link #pairs} joined by commas (empty for none): how a queue stores them. */
    public static String joined(Map<String, String> labels) {
        return String.join(",", pairs(labels));
    }

    /** Labels as {@link #joined} wrote them; a part that is not {@code KEY=VALUE} (written by hand) is left out. */
    public static Map<String, String> split(String joined) {
        var labels = new TreeMap<String, String>();
        for (String pair : joined.split(",")) {
            int eq = pair.indexOf('=');
            if (eq > 0) {
                labels.put(pair.substring(0, eq), pair.substring(eq + 1));
            }
        }
        return labels;
    }

    /** The labels as a table shows them: {@code KEY=VALUE,...} by key, or {@code -}. */
    public static String shown(Map<String, String> labels) {
        return labels.isEmpty() ? "-" : String.join(",", pairs(labels));
    }

    /**
     * Why no node of these (each node's labels) is one the selector asks for: one error for each key
     * of the selector that no node has with that value, naming the values the nodes have for it (or
     * their keys), so that a typo reads as one; else, if each is some node's but no one node has them
     * all, one error that names the nodes' labels; none if a node has them all.
     */
    public static List<FieldError> unmatched(Map<String, String> selector, List<Map<String, String>> nodes) {
        var errors = new ArrayList<FieldError>();
        new TreeMap<>(selector).forEach((key, value) -> {
            if (nodes.stream().noneMatch(labels -> value.equals(labels.get(key)))) {
                TreeSet<String> values = nodes.stream().map(labels -> labels.get(key)).filter(Objects::nonNull)
                        .collect(Collectors.toCollection(TreeSet::new));
                boolean one = nodes.size() == 1;
                errors.add(new FieldError("nodeSelector." + key, values.isEmpty()
                        ? (one ? "the node has no label '" : "no node has the label '") + key + "'" + keysOf(nodes)
                        : (one ? "the node has " + key + "=" + values.first() + ", not " + value
                                : "no node has " + key + "=" + value + "; nodes have " + key + "=" + String.join(", ", values))));
            }
        });
        if (errors.isEmpty() && nodes.stream().noneMatch(labels -> matches(selector, labels))) {
            List<String> kinds = nodes.stream().map(NodeLabels::shown).distinct().sorted().toList();
            errors.add(new FieldError("nodeSelector", "no one node has all of " + String.join(",", pairs(selector))
                    + "; the nodes' labels: " + String.join("; ", kinds.subList(0, Math.min(kinds.size(), SHOWN)))
                    + (kinds.size() > SHOWN ? "; and " + (kinds.size() - SHOWN) + " more" : "")));
        }
        return errors;
    }

    /** How many of the nodes' sets of labels an error names. */
    private static final int SHOWN = 10;

    private static String keysOf(List<Map<String, String>> nodes) {
        Set<String> keys = nodes.stream().flatMap(labels -> labels.keySet().stream())
                .collect(Collectors.toCollection(TreeSet::new));
        String whose = nodes.size() == 1 ? "its" : "nodes'";
        return keys.isEmpty() ? " (" + (nodes.size() == 1 ? "it has no labels" : "no node has labels") + "; a node is given"
                + " them with --label KEY=VALUE on hangar agent or hangar up)" : "; " + whose + " labels: " + String.join(", ", keys);
    }
}
