package dev.hangar.cli;

import java.io.PrintWriter;
import java.util.ArrayList;
import java.util.List;

/** Prints rows as left-aligned columns. */
final class Tables {
    private Tables() {}

    static void print(PrintWriter out, List<String> header, List<List<String>> rows) {
        var all = new ArrayList<List<String>>();
        all.add(header);
        rows.forEach(row -> all.add(row.stream().map(Tables::printable).toList()));
        int[] widths = new int[header.size()];
        for (List<String> row : all) {
            for (int i = 0; i < row.size(); i++) {
                widths[i] = Math.max(widths[i], row.get(i).length());
            }
        }
        for (List<String> row : all) {
            var line = new StringBuilder();
            for (int i = 0; i < row.size(); i++) {
                line.append(i == row.size() - 1 ? row.get(i) : String.format("%-" + (widths[i] + 2) + "s", row.get(i)));
            }
            out.println(line.toString().stripTrailing());
        }
        out.flush();
    }

    /**
     * A cell as a terminal shows it: a line break, tab or other control character written as an escape (a job's
     * command is anyone's text: a line break broke the table, and an escape sequence reached the terminal).
     */
    static String printable(String text) {
        var out = new StringBuilder(text.length());
        text.codePoints().forEach(c -> {
            switch (c) {
                case '\n' -> out.append("\\n");
                case '\t' -> out.append("\\t");
                case '\r' -> out.append("\\r");
                default -> {
                    if (Character.isISOControl(c) || Character.getType(c) == Character.FORMAT) {
                        out.append(String.format("\\u%04x", c));
                    } else {
                        out.appendCodePoint(c);
                    }
                }
            }
        });
        return out.toString();
    }

    /** The text cut to at most {@code max} characters (code points, so no character is split), "..." marking a cut. */
    static String cut(String text, int max) {
        if (text.codePointCount(0, text.length()) <= max) {
            return text;
        }
        return text.substring(0, text.offsetByCodePoints(0, max - 3)) + "...";
    }

    static String orDash(Object value) {
        return value == null ? "-" : value.toString();
    }

    /** A number as a person writes it: 8, not 8.0; 0.5 as it is. */
    static String trim(double value) {
        return value == Math.rint(value) ? String.valueOf((long) value) : String.valueOf(value);
    }
}
