package dev.hangar.cli;

import static org.assertj.core.api.Assertions.assertThat;

import dev.hangar.runtime.support.OwningProcess;
import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** A node's store made for one command is named after its process, and swept once that process is gone. */
class ThrowawayDirsTest {
    @TempDir
    Path tmp;

    @Test
    void theStoreOfACommandWhoseProcessIsGoneIsDeletedAndOthersAreLeft() throws Exception {
        OwningProcess here = OwningProcess.current();
        // past the kernel's largest pid: no process has it, as a hangar run SIGKILLed
        String gone = new OwningProcess(4_194_305, 1, here.namespaces()).label();
        Path killed = Files.createDirectories(tmp.resolve("hangar-run-" + gone + "-123"));
        Files.writeString(killed.resolve("hangar.db"), "the job's environment");
        Path live = Files.createDirectories(tmp.resolve("hangar-explain-" + here.label() + "-456"));
        Path other = Files.createDirectories(tmp.resolve("hangar-run-789")); // an older version's: its owner unknown

        ThrowawayDirs.deleteLeftovers(tmp);

        assertThat(killed).doesNotExist();
        assertThat(live).exists();
        assertThat(other).exists();
    }
}
