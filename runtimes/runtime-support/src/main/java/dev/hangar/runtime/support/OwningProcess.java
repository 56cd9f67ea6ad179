package dev.hangar.runtime.support;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Optional;
import java.util.OptionalLong;

/**
 * The process that made something on the host which outlives it if it is killed (a container, a
 * set of cgroups): named by pid and start time, so that whether it is gone can be told even once
 * the kernel has handed its pid to another process. The start time is the kernel's, in clock ticks
 * since boot, which no change of the wall clock moves: two processes always read the same value.
 */
public record OwningProcess(long pid, long startTicks) {

    /** This JVM. */
    public static OwningProcess current() {
        long pid = ProcessHandle.current().pid();
        return new OwningProcess(pid, startTicks(pid).orElse(0));
    }

    /** Reads a {@link #label()}; empty for anything else. */
    public static Optional<OwningProcess> parse(String label) {
        int at = label.indexOf('@');
        if (at <= 0) {
            return Optional.empty();
        }
        try {
            return Optional.of(new OwningProcess(Long.parseLong(label.substring(0, at)),
                    Long.parseLong(label.substring(at + 1))));
        } catch (NumberFormatException e) {
            return Optional.empty();
        }
    }

    /** "pid@start-ticks". */
    public String label() {
        return pid + "@" + startTicks;
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
}
