package dev.hangar.runtime.gvisor;

import dev.hangar.runtime.support.Limiter;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.stream.Stream;

/** What a gVisor sandbox leaves on the host: bundle, runsc state, cgroups, processes naming it. */
final class Leftovers {
    private Leftovers() {}

    /** Everything {@code sandbox} could leave behind, as readable strings; empty when it left nothing. */
    static List<String> of(GvisorRuntime runtime, GvisorSandbox sandbox) throws IOException {
        var left = new ArrayList<String>();
        String id = sandbox.runscId();
        if (Files.exists(sandbox.bundle())) {
            left.add("bundle " + sandbox.bundle());
        }
        for (Path entry : GvisorSandbox.stateEntries(runtime.stateRoot(), id)) {
            left.add("runsc state " + entry);
        }
        for (Path parent : Limiter.detect().orElseThrow().parents()) {
            if (Files.exists(parent.resolve("gvisor-" + id))) {
                left.add("cgroup " + parent.resolve("gvisor-" + id));
            }
        }
        try (Stream<Path> procs = Files.list(Path.of("/proc"))) {
            for (Path proc : procs.filter(p -> p.getFileName().toString().chars().allMatch(Character::isDigit)).toList()) {
                try {
                    String cmdline = Files.readString(proc.resolve("cmdline"), StandardCharsets.UTF_8).replace('\0', ' ');
                    if (cmdline.contains(id)) {
                        left.add("process " + proc.getFileName() + ": " + cmdline);
                    }
                } catch (IOException gone) {
                    // ended while we looked
                }
            }
        }
        return left;
    }
}
