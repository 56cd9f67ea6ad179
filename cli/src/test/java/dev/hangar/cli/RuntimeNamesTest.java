package dev.hangar.cli;

import static org.assertj.core.api.Assertions.assertThat;

import dev.hangar.core.job.SpecLimits;
import org.junit.jupiter.api.Test;

/**
 * The core keeps the runtime names a job may pin where no node has said what it runs; the drivers
 * are found on the class path. The core cannot see the drivers, so this is where the two meet.
 */
class RuntimeNamesTest {
    @Test
    void theNamesAJobMayPinAreTheDriversOnTheClassPath() {
        assertThat(AgentNode.knownRuntimes()).containsExactlyInAnyOrderElementsOf(SpecLimits.RUNTIME_NAMES);
    }
}
