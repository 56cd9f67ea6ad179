package dev.hangar.runtime.support;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Temp files a node killed before it could delete them, swept by the next node to start. */
class OwnedTempFilesTest {
    @TempDir
    Path dir;

    @Test
    void theFilesOfAGoneOwnerAreDeletedAndEveryOtherFileIsLeft() throws Exception {
        OwningProcess exited = Owners.thatExited();
        OwnedTempFiles self = new OwnedTempFiles(dir, "hangar-x", OwningProcess.current());
        OwnedTempFiles goneNode = new OwnedTempFiles(dir, "hangar-x", exited);
        OwnedTempFiles otherNamespaces = new OwnedTempFiles(dir, "hangar-x", Owners.elsewhere(exited));
        Path left1 = goneNode.create(".status");
        Path left2 = goneNode.create(".args");
        Path mine = self.create(".status");
        Path unjudged = otherNamespaces.create(".status");
        Path olderVersion = Files.createTempFile(dir, "hangar-x-", ".status");
        Path otherKind = new OwnedTempFiles(dir, "hangar-y", exited).create(".status");

        int removed = self.sweep();

        assertThat(removed).isEqualTo(2);
        assertThat(left1).doesNotExist();
        assertThat(left2).doesNotExist();
        assertThat(mine).as("this process's own").exists();
        assertThat(unjudged).as("of a node named in other namespaces").exists();
        assertThat(olderVersion).as("of an older version, naming no owner").exists();
        assertThat(otherKind).as("of another kind").exists();
        assertThat(mine.getFileName().toString()).startsWith("hangar-x-" + OwningProcess.current().label() + "-")
                .endsWith(".status");
    }

    @Test
    void aSweepHandsEachFileOfAGoneOwnerToBeReadBeforeItIsDeleted() throws Exception {
        OwnedTempFiles self = new OwnedTempFiles(dir, "hangar-x", OwningProcess.current());
        Path gone = new OwnedTempFiles(dir, "hangar-x", Owners.thatExited()).create(".points");
        Files.writeString(gone, "/what/it/made");
        Path mine = self.create(".points");
        var read = new java.util.ArrayList<String>();

        self.sweep(file -> {
            try {
                read.add(Files.readString(file));
            } catch (java.io.IOException e) {
                throw new java.io.UncheckedIOException(e);
            }
        });

        assertThat(read).containsExactly("/what/it/made");
        assertThat(gone).doesNotExist();
        assertThat(mine).exists();
    }
}
