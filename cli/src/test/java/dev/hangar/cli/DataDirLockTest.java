package dev.hangar.cli;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class DataDirLockTest {
    @TempDir
    Path dir;

    @Test
    void aSecondAgentOnADataDirectoryInUseIsRefusedNamingTheHolderAndMayStartOnceItIsLetGo() {
        try (var first = DataDirLock.take(dir)) {
            assertThatThrownBy(() -> DataDirLock.take(dir))
                    .hasMessageContaining("--data-dir " + dir + " is in use by another Hangar agent on this host (pid "
                            + ProcessHandle.current().pid() + ", this very process)")
                    .hasMessageContaining("another --data-dir");
        }
        DataDirLock.take(dir).close();
    }
}
