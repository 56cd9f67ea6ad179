package dev.hangar.server.metrics;

import java.util.LinkedHashMap;
import java.util.Map;
import java.util.TreeMap;

/** A minimal reader of the Prometheus text format: samples as name, labels and value. */
final class PromText {
    private final Map<String, Double> samples = new LinkedHashMap<>();
    final String text;

    PromText(String text) {
        this.text = text;
        for (String line : text.split("\n")) {
            if (line.isBlank() || line.startsWith("#")) {
                continue;
            }
            int brace = line.indexOf('{');
            int space = brace < 0 ? line.indexOf(' ') : line.indexOf(' ', line.lastIndexOf('}'));
            String name = line.substring(0, brace < 0 ? space : brace);
            var labels = new TreeMap<String, String>();
            if (brace >= 0) {
                String body = line.substring(brace + 1, line.lastIndexOf('}'));
                for (String pair : body.split(",(?=[a-zA-Z_][a-zA-Z0-9_]*=\")")) {
                    if (pair.isBlank()) {
                        continue;
                    }
                    int eq = pair.indexOf('=');
                    labels.put(pair.substring(0, eq), pair.substring(eq + 2, pair.length() - 1));
                }
            }
            String value = line.substring(space + 1).trim().split(" ")[0];
            samples.put(key(name, labels), Double.parseDouble(value.replace("+Inf", "Infinity")));
        }
    }

    private static String key(String name, Map<String, String> labels) {
        return name + new TreeMap<>(labels);
    }

    /** The value of the sample with exactly these labels (name, value pairs), or null. */
    Double value(String name, String... labels) {
        var map = new TreeMap<String, String>();
        for (int i = 0; i < labels.length; i += 2) {
            map.put(labels[i], labels[i + 1]);
        }
        return samples.get(key(name, map));
    }

    /** The value, 0 when the sample is absent. */
    double valueOrZero(String name, String... labels) {
        Double value = value(name, labels);
        return value == null ? 0 : value;
    }

    boolean hasFamily(String name) {
        return samples.keySet().stream().anyMatch(key -> key.startsWith(name + "{"));
    }
}
