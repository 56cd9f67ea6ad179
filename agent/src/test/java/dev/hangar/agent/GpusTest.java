package dev.hangar.agent;

import static org.assertj.core.api.Assertions.assertThat;
import static org.junit.jupiter.api.Assertions.assertTimeoutPreemptively;

import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class GpusTest {
    @Test
    void nvidiaSmiListsDeviceIndices() {
        String output = """
                GPU 0: NVIDIA GeForce RTX 3090 (UUID: GPU-8f5b1e4c-0d6f-4b7e-9c3a-1f2e3d4c5b6a)
                GPU 1: NVIDIA GeForce RTX 5090 (UUID: GPU-1a2b3c4d-5e6f-7a8b-9c0d-1e2f3a4b5c6d)
                  MIG 1g.10gb     Device  0: (UUID: MIG-abc)
                """;
        assertThat(Gpus.parseNvidiaSmi(output)).containsExactly("0", "1");
        assertThat(Gpus.parseNvidiaSmi("NVIDIA-SMI has failed because it couldn't communicate with the driver")).isEmpty();
    }

    @Test
    void deviceNodesAreTheFallback(@TempDir Path dev) throws Exception {
        for (String name : new String[] {"nvidia10", "nvidia2", "nvidiactl", "nvidia-uvm", "null"}) {
            Files.createFile(dev.resolve(name));
        }
        assertThat(Gpus.fromDevices(dev)).containsExactly("2", "10");
    }

    @Test
    void thisHostsGpusAreProbed() {
        List<String> devices = Gpus.fromDevices(Path.of("/dev"));
        List<String> found = Gpus.discover();
        if (devices.isEmpty()) {
            assertThat(found).as("GPUs found where the host has no GPU device node").isEmpty();
            // why a skip: a discover() that found none on a GPU host would pass here all the same
            org.junit.jupiter.api.Assumptions.abort("this host has no GPU (no /dev/nvidiaN): none to find, and none found");
        }
        assertThat(found).as("the host's device nodes show %s", devices).isNotEmpty()
                .allSatisfy(index -> assertThat(index).matches("\\d+"));
    }

    @Test
    void aListingCommandThatEndsIsRead() {
        assertThat(Gpus.listed(List.of("sh", "-c", "echo 'GPU 0: A (UUID: a)'; echo 'GPU 1: B (UUID: b)'"), Duration.ofSeconds(20)))
                .containsExactly("0", "1");
        assertThat(Gpus.listed(List.of("sh", "-c", "echo 'GPU 0: A'; exit 9"), Duration.ofSeconds(20))).isEmpty();
    }

    @Test
    void aListingCommandThatHangsIsGivenUpAtItsBoundAndKilled() {
        // as nvidia-smi on a GPU that fell off the bus: the node starts all the same, with no GPU
        List<String> listed = assertTimeoutPreemptively(Duration.ofSeconds(30),
                () -> Gpus.listed(List.of("sh", "-c", "echo 'GPU 0: A'; exec sleep 120"), Duration.ofMillis(300)));
        assertThat(listed).isEmpty();
    }
}
