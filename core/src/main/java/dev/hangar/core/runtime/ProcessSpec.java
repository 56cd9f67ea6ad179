package dev.hangar.core.runtime;

import java.util.List;
import java.util.Map;

/** A process to start inside a sandbox. {@code stdin} may be null (the process reads end of file). */
public record ProcessSpec(List<String> command, Map<String, String> env, byte[] stdin) {
    public ProcessSpec {
        command = List.copyOf(command);
        env = Map.copyOf(env);
    }
}
