package dev.hangar.runtime.podman;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.ObjectMapper;
import org.junit.jupiter.api.Test;

class LibpodTest {
    private static com.fasterxml.jackson.databind.JsonNode warnings(String json) throws Exception {
        return new ObjectMapper().readTree(json);
    }

    @Test
    void aCreateWhoseLimitsPodmanDroppedIsToldFromItsWarnings() throws Exception {
        // libpod's words on a rootless cgroup v1 host, where the job ran with no memory, CPU or pids limit
        assertThat(Libpod.limitsDropped(warnings(
                "[\"Resource limits are not supported and ignored on cgroups V1 rootless systems\"]")))
                .hasValue("Resource limits are not supported and ignored on cgroups V1 rootless systems");
        assertThat(Libpod.limitsDropped(warnings("[\"Your kernel does not support pids limit capabilities or the cgroup"
                + " is not mounted. PIDs limit discarded.\"]"))).isPresent();
        // a warning that leaves the limits in place is no reason to refuse the container
        assertThat(Libpod.limitsDropped(warnings("[\"Your kernel does not support swap limit capabilities, or the"
                + " cgroup is not mounted. Memory limited without swap.\"]"))).isEmpty();
        assertThat(Libpod.limitsDropped(warnings("[]"))).isEmpty();
        assertThat(Libpod.limitsDropped(warnings("null"))).isEmpty();
    }
}
