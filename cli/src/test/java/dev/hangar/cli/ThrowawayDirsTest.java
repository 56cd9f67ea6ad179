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
        Path killed = store("hangar-run-123", new OwningProcess(4_194_305, 1, here.namespaces()).label());
        Files.writeString(killed.resolve("hangar.db"), "the job's environment");
        Path live = store("hangar-explain-456", here.label());
        Path older = Files.createDirectories(tmp.resolve("hangar-run-789")); // an older version's: its owner unknown
        Path elsewhere = Files.createDirectories(tmp.resolve("elsewhere"));
        Files.writeString(Files.createDirectories(elsewhere.resolve("d")).resolve("keep"), "x");
        // a link of the name, as another user could make in a shared /tmp, leading a delete into their choice
        Path link = Files.createSymbolicLink(tmp.resolve("hangar-bench-999"), elsewhere);
        Files.writeString(elsewhere.resolve(ThrowawayDirs.OWNER), new OwningProcess(4_194_305, 1, here.namespaces()).label());

        Path anothers = store("hangar-run-321", new OwningProcess(4_194_305, 1, here.namespaces()).label());
        if (dev.hangar.runtime.support.HostUser.root()) {
            Files.setAttribute(anothers, "unix:uid", 1000); // another user's: what is in it, that user chose
        }

        ThrowawayDirs.deleteLeftovers(tmp);

        assertThat(killed).doesNotExist();
        assertThat(live).exists();
        assertThat(older).exists();
        assertThat(link).exists();
        assertThat(elsewhere.resolve("d/keep")).exists();
        if (dev.hangar.runtime.support.HostUser.root()) {
            assertThat(anothers).exists();
        }
    }

    private Path store(String name, String owner) throws Exception {
        Path dir = Files.createDirectories(tmp.resolve(name));
        Files.writeString(dir.resolve(ThrowawayDirs.OWNER), owner);
        return dir;
    }
}
