package dev.hangar.agent;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** An agent restarted in place is the same instance; one on another data directory of this host is another. */
class NodeInstanceTest {
    @TempDir
    Path dir;

    @Test
    void theSameDataDirectoryIsTheSameInstanceByAnyPathAndAnotherIsAnother() throws Exception {
        Path data = Files.createDirectories(dir.resolve("data"));
        Path link = Files.createSymbolicLink(dir.resolve("link"), data);

        assertThat(NodeInstance.of(data)).matches("[0-9a-f]{16}").isEqualTo(NodeInstance.of(link))
                .isEqualTo(NodeInstance.of(dir.resolve("./data")));
        assertThat(NodeInstance.of(Files.createDirectories(dir.resolve("other")))).isNotEqualTo(NodeInstance.of(data));
    }
}
