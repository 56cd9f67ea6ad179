package dev.hangar.runtime.process;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;

/**
 * bwrap options that bwrap reads from a file ({@code --args}, NUL between them) rather than from its
 * command line, which any user of the host may read: a job's environment may hold secrets. The file
 * is readable by this node's user only, as its processes' environments are.
 */
final class BubblewrapOptionsFile {
    private BubblewrapOptionsFile() {}

    /** A new file holding {@code options}; none may hold a NUL byte (a job's strings are checked for one first). */
    static Path write(List<String> options) throws IOException {
        var bytes = new ByteArrayOutputStream(256);
        for (String option : options) {
            if (option.indexOf('\0') >= 0) {
                throw new IllegalArgumentException("a bwrap option holds a NUL byte");
            }
            bytes.writeBytes(option.getBytes(StandardCharsets.UTF_8));
            bytes.write(0);
        }
        Path file = BubblewrapRuntime.TEMP_FILES.create(".args");
        try {
            Files.write(file, bytes.toByteArray());
            return file;
        } catch (IOException e) {
            Files.deleteIfExists(file);
            throw e;
        }
    }
}
