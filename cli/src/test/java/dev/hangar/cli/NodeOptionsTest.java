package dev.hangar.cli;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.hangar.agent.AgentConfig;
import java.util.List;
import org.junit.jupiter.api.Test;
import picocli.CommandLine;

/**
 * What --cpus, --memory-mb and --gpus leave to jobs on a node, against a host of 4 cores, 16 GiB and two GPUs
 * (whose defaults leave jobs 13,721 MiB of it: {@link dev.hangar.agent.SystemReserve}); and the node's --label.
 */
class NodeOptionsTest {
    private static final AgentConfig HOST = AgentConfig.forThisHost("gpu-07").withCapacity(16, 13_721, List.of("0", "1"));

    private static AgentConfig capacity(String... args) {
        return CommandLine.populateCommand(new NodeOptions(), args).capacityOn(HOST, 16_384);
    }

    @Test
    void byDefaultJobsMayReserveWhatTheHostLeavesThem() {
        AgentConfig config = capacity();

        assertThat(config.cpus()).isEqualTo(16);
        assertThat(config.memoryMb()).as("the host's default").isEqualTo(13_721);
        assertThat(capacity("--memory-mb", "16384").memoryMb()).as("all of it, asked").isEqualTo(16_384);
        assertThat(config.gpus()).containsExactly("0", "1");
    }

    @Test
    void lessMayBeLeftToJobsTheRestToTheSystem() {
        AgentConfig config = capacity("--cpus", "12.5", "--memory-mb", "12288", "--gpus", "1");

        assertThat(config.cpus()).isEqualTo(12.5);
        assertThat(config.memoryMb()).isEqualTo(12_288);
        assertThat(config.gpus()).containsExactly("1");
        assertThat(config.nodeName()).as("the rest as it was").isEqualTo("gpu-07");
        assertThat(capacity("--gpus", "none").gpus()).isEmpty();
        assertThat(capacity("--gpus", " NONE").gpus()).as("in any case").isEmpty();
        assertThat(capacity("--gpus", "1,0,1").gpus()).as("each once").containsExactly("1", "0");
    }

    @Test
    void moreThanTheHostHasOrNothingIsRefusedNamingTheOption() {
        assertThatThrownBy(() -> capacity("--cpus", "17"))
                .hasMessage("--cpus must be from 0.01 to 16 (4 per core of this host), got 17");
        assertThatThrownBy(() -> capacity("--cpus", "0")).hasMessageStartingWith("--cpus must be from 0.01 to 16");
        assertThatThrownBy(() -> capacity("--cpus", "NaN")).hasMessageEndingWith("got NaN");
        assertThatThrownBy(() -> capacity("--memory-mb", "16385"))
                .hasMessage("--memory-mb must be from 64 to 16384 (this host's memory), got 16385");
        assertThatThrownBy(() -> capacity("--memory-mb", "63")).hasMessageStartingWith("--memory-mb must be from 64");
        assertThatThrownBy(() -> capacity("--gpus", "0,2"))
                .hasMessage("--gpus 0,2: no GPU '2' on this host; its GPUs: 0, 1; or give none");
        assertThatThrownBy(() -> capacity("--gpus", "none,0")).hasMessage("--gpus none,0: none, or GPUs by index, not both");
    }

    @Test
    void labelsAreKeyEqualsValueEachKeyOnce() {
        assertThat(CommandLine.populateCommand(new NodeOptions(), "--label", "zone=r1", "--label", "gpu-model=a100")
                .agentConfig().labels()).isEqualTo(java.util.Map.of("zone", "r1", "gpu-model", "a100"));
        assertThat(CommandLine.populateCommand(new NodeOptions()).agentConfig().labels()).isEmpty();
        assertThatThrownBy(() -> CommandLine.populateCommand(new NodeOptions(), "--label", "zone").agentConfig())
                .hasMessage("--label: 'zone' is not KEY=VALUE");
        assertThatThrownBy(() -> CommandLine.populateCommand(new NodeOptions(), "--label", "zone=r1", "--label", "zone=r2")
                .agentConfig()).hasMessage("--label: zone is given twice");
    }

    @Test
    void aGpuAskedOfAHostWithoutAnyIsRefusedSayingItHasNone() {
        var options = CommandLine.populateCommand(new NodeOptions(), "--gpus", "0");
        assertThatThrownBy(() -> options.capacityOn(HOST.withCapacity(16, 13_721, List.of()), 16_384))
                .hasMessage("--gpus 0: no GPU '0' on this host; it has none (nvidia-smi lists none, and there is no"
                        + " /dev/nvidiaN); or give none");
    }
}
