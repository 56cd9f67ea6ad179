package dev.hangar.cli;

import static org.assertj.core.api.Assertions.assertThat;

import dev.hangar.client.RuntimeEntry;
import dev.hangar.core.json.Json;
import dev.hangar.core.runtime.BootClass;
import dev.hangar.core.runtime.Isolation;
import dev.hangar.core.runtime.NetworkMode;
import dev.hangar.core.runtime.RuntimeCapabilities;
import dev.hangar.core.runtime.RuntimeProbe;
import dev.hangar.core.runtime.RuntimeStatus;
import dev.hangar.core.runtime.Threading;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.Set;
import org.junit.jupiter.api.Test;

/** {@code hangar runtimes} against a stand-in for a cluster's server, one of whose runtimes only a lost node had. */
class RuntimesCommandTest {
    private static RuntimeStatus runtime(String name, Isolation isolation) {
        var caps = new RuntimeCapabilities(isolation, BootClass.FAST, 0, Threading.NATIVE, true, true, false, false, false,
                false, false, Set.of(NetworkMode.NONE));
        return new RuntimeStatus(name, name, caps, RuntimeProbe.available(Duration.ofMillis(12), Map.of("version", "1")));
    }

    private static final String LIST = Json.write(List.of(
            new RuntimeEntry(runtime("gvisor", Isolation.SOFTWARE_KERNEL), "no node that is up has it (test)"),
            new RuntimeEntry(runtime("process", Isolation.PROCESS), null)));

    @Test
    void aRuntimeNoNodeUpHasIsMarkedWithWhyItsJobsWaitAndItsJsonIsTheApis() throws Exception {
        try (var api = new StandInApi("/v1/runtimes", LIST)) {
            String printed = api.run("runtimes");
            var json = Json.mapper().readTree(api.run("runtimes", "--json"));

            // it used to list it as available
            assertThat(printed).containsPattern("gvisor +no node takes its jobs +.*jobs for it wait: no node that is up has it \\(test\\)");
            assertThat(printed).containsPattern("process +available +process +12 ms .*version=1");
            assertThat(json.get(0).path("waiting").asText()).isEqualTo("no node that is up has it (test)");
            assertThat(json.get(1).has("waiting")).isFalse();
        }
    }
}
