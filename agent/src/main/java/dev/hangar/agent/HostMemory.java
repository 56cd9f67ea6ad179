package dev.hangar.agent;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;

/** Total memory of this host, from /proc/meminfo. */
public final class HostMemory {
    private HostMemory() {}

    public static long totalMb() {
        try {
            for (String line : Files.readAllLines(Path.of("/proc/meminfo"))) {
                if (line.startsWith("MemTotal:")) {
                    return Long.parseLong(line.replaceAll("\\D", "")) / 1024;
                }
            }
        } catch (IOException | NumberFormatException e) {
            // fall through to the JVM's view
        }
        return Runtime.getRuntime().maxMemory() / (1024 * 1024);
    }
}
