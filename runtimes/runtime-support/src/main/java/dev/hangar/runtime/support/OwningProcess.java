package dev.hangar.runtime.support;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Optional;
import java.util.OptionalLong;

/**
 * The process that made something on the host which outlives it if it is killed (a container, a
 * set of cgroups): named by pid, start time and the namespaces those are read in, so that whether
 * it is gone can be told even once the kernel has handed its pid to another process. The start
 * time is the kernel's, in clock ticks since boot, which no change of the wall clock moves.
 *
 * <p>A pid and a start time mean something only in the pid and time namespaces they were read in:
 * an owner named in other namespaces (a node in a container beside one on the host, say) cannot be
 * judged from here, and is never taken for gone.
 *
 * @param namespaces the pid and time namespaces of the process, e.g. "4026531836.4026531834"
 */
public record OwningProcess(long pid, long startTicks, String namespaces) {
    /** This process's, read once: a process does not change its own pid or time namespace. */
    private static final String CURRENT_NAMESPACES = namespace("pid") + "." + namespace("time");

    /** This JVM. */
    public static OwningProcess current() {
        long pid = ProcessHandle.current().pid();
        return new OwningProcess(pid, startTicks(pid).orElse(0), currentNamespaces());
    }

    /** Reads a {@link #label()}; empty for anything else. */
    public static Optional<OwningProcess> parse(String label) {
        String[] parts = label.split("@", -1);
        if (parts.length != 3 || parts[2].isEmpty()) {
            return Optional.empty();
        }
        try {
            return Optional.of(new OwningProcess(Long.parseLong(parts[0]), Long.parseLong(parts[1]), parts[2]));
        } catch (NumberFormatException e) {
            return Optional.empty();
        }
    }

    /**
     * Whether the owner named by {@code label} is surely gone, as far as this process can tell: it
     * was named in this process's namespaces and no longer runs. Any other label is not gone: one of
     * other namespaces, and one of an older version ("pid@start-millis"), unless no process at all
     * has its pid now.
     */
    public static boolean gone(String label) {
        Optional<OwningProcess> owner = parse(label);
        if (owner.isPresent()) {
            return owner.get().namespaces().equals(currentNamespaces()) && !owner.get().alive();
        }
        String[] older = label.split("@", -1);
        try {
            return older.length == 2 && ProcessHandle.of(Long.parseLong(older[0])).isEmpty();
        } catch (NumberFormatException e) {
            return false;
        }
    }

    /** "pid@start-ticks@namespaces". */
    public String label() {
        return pid + "@" + startTicks + "@" + namespaces;
    }

    /** Whether this very process still runs: its pid is in use by a process that started when it did. */
    public boolean alive() {
        return startTicks(pid).equals(OptionalLong.of(startTicks));
    }

    /** Field 22 of {@code /proc/<pid>/stat}, counted after the command name, which may hold spaces. */
    static OptionalLong startTicks(long pid) {
        try {
            String stat = Files.readString(Path.of("/proc", Long.toString(pid), "stat"));
            String[] afterName = stat.substring(stat.lastIndexOf(')') + 2).split(" ");
            return OptionalLong.of(Long.parseLong(afterName[19]));
        } catch (IOException | RuntimeException e) {
            return OptionalLong.empty();
        }
    }

    /** This process's pid and time namespaces, by inode ("0" for one the kernel does not have). */
    static String currentNamespaces() {
        return CURRENT_NAMESPACES;
    }

    private static String namespace(String kind) {
        try {
            String link = Files.readSymbolicLink(Path.of("/proc/self/ns", kind)).toString(); // e.g. pid:[4026531836]
            return link.substring(link.indexOf('[') + 1, link.lastIndexOf(']'));
        } catch (IOException | RuntimeException e) {
            return "0";
        }
    }
}
