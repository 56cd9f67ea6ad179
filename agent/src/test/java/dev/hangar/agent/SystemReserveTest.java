package dev.hangar.agent;

import static org.assertj.core.api.Assertions.assertThat;

import org.junit.jupiter.api.Test;

class SystemReserveTest {
    @Test
    void aSmallHostKeepsAQuarterBackAndABigOneALesserShareTierByTier() {
        assertThat(SystemReserve.memoryMb(1_024)).isEqualTo(256);
        assertThat(SystemReserve.memoryMb(4_096)).isEqualTo(1_024);
        assertThat(SystemReserve.memoryMb(8_192)).as("1,024 + 819.2").isEqualTo(1_844);
        assertThat(SystemReserve.memoryMb(16_384)).as("+ 819.2").isEqualTo(2_663);
        assertThat(SystemReserve.memoryMb(131_072)).as("+ 6 per cent of 112 GiB").isEqualTo(9_544);
        assertThat(SystemReserve.memoryMb(262_144)).as("+ 2 per cent of the rest").isEqualTo(12_166);
    }

    @Test
    void whatIsLeftToJobsIsTheHostLessTheReserve() {
        assertThat(SystemReserve.leftToJobsMb(16_384)).isEqualTo(13_721);
        assertThat(SystemReserve.leftToJobsMb(0)).isZero();
    }

    @Test
    void thisHostsDefaultsLeaveJobsItsMemoryLessTheReserve() {
        assertThat(AgentConfig.forThisHost("here").memoryMb()).isEqualTo(SystemReserve.leftToJobsMb(HostMemory.totalMb()));
    }
}
