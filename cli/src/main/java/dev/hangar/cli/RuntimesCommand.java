package dev.hangar.cli;

import dev.hangar.client.RuntimeEntry;
import dev.hangar.core.json.Json;
import dev.hangar.core.runtime.RuntimeCapabilities;
import dev.hangar.core.runtime.RuntimeStatus;
import java.io.PrintWriter;
import java.util.List;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;

/** {@code hangar runtimes}: every driver, whether it works here, what it can do, how fast it started. */
@Command(name = "runtimes", description = "List runtimes: available or why not, capabilities, measured start.")
final class RuntimesCommand implements Callable<Integer> {
    @Mixin
    ClientOptions client;

    @Override
    public Integer call() {
        List<RuntimeEntry> runtimes = client.client().runtimeEntries();
        if (client.json) {
            System.out.println(Json.write(runtimes));
            return 0;
        }
        var out = new PrintWriter(System.out, true);
        Tables.print(out, List.of("RUNTIME", "STATUS", "ISOLATION", "START", "FORK", "GPU", "SNAPSHOT", "NOTES"),
                runtimes.stream().map(RuntimesCommand::row).toList());
        return 0;
    }

    private static List<String> row(RuntimeEntry entry) {
        RuntimeStatus status = entry.status();
        RuntimeCapabilities caps = status.capabilities();
        var probe = status.probe();
        String state = entry.waiting() != null ? "no node takes its jobs"
                : !probe.available() ? "unavailable" : probe.apiTestedOnly() ? "API-tested only" : "available";
        String start = probe.measuredStart() == null ? "-" : probe.measuredStart().toMillis() + " ms";
        String notes = entry.waiting() != null ? "jobs for it wait: " + entry.waiting()
                : probe.available()
                ? new java.util.TreeMap<>(probe.attributes()).entrySet().stream().map(e -> e.getKey() + "=" + e.getValue())
                        .collect(java.util.stream.Collectors.joining("; "))
                : probe.reason();
        return List.of(status.name(), state, caps.isolation().name().toLowerCase(), start, yes(caps.fork()),
                yes(caps.gpu()), yes(caps.snapshot()), notes);
    }

    private static String yes(boolean value) {
        return value ? "yes" : "no";
    }
}
