package dev.hangar.runtime.process;

import dev.hangar.core.runtime.ExitStatus;
import dev.hangar.core.runtime.SandboxException;
import dev.hangar.runtime.support.CgroupJoin;
import dev.hangar.runtime.support.ExecFailure;
import dev.hangar.runtime.support.OwnedTempFiles;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.regex.Pattern;

/**
 * Tells bwrap's own failures from the job's: bwrap exits 1 when it cannot set the sandbox up (a
 * mount it cannot make) or cannot run the program, as a program may exit 1 itself. Its JSON status
 * ({@code --json-status-fd}) gets an {@code "exit-code"} line only once the program ran and ended,
 * and a {@code "child-pid"} line once it has made the sandbox's namespaces: a failure before that
 * one is the host's (out of user namespaces, or not allowed to make them), since the job's own
 * settings are checked before it is leased and take effect only inside the namespaces.
 */
final class BubblewrapStatus {
    static final String SETUP_FAILED = "the sandbox could not start the job's program: bwrap failed first (a mount it "
            + "could not make, say; its reason is in the job's stderr)";

    static final String NAMESPACES_FAILED = "bwrap failed before it made the sandbox's namespaces: the host ran out of "
            + "them or forbids them, or this bwrap refused an option (its reason is in the job's stderr)";

    static final String JOIN_FAILED = CgroupJoin.JOIN_FAILED;

    private BubblewrapStatus() {}

    /** A new, empty status file. */
    static Path file() throws IOException {
        return BubblewrapRuntime.TEMP_FILES.create(".status");
    }

    /** bwrap's word that it could not exec the job's program, the last line of the job's stderr (see {@link ExecFailure}). */
    private static final Pattern EXEC_FAILED = ExecFailure.lastWords("bwrap: execvp .*: ");

    /**
     * The status as it is, unless bwrap failed before the program ran ({@code stderrTail}: the last
     * of the job's stderr, where bwrap says why); the file is deleted either way.
     */
    static ExitStatus check(ExitStatus status, Path file, String stderrTail) throws SandboxException {
        try {
            // why these codes only: bwrap killed on a timeout or cancel writes no line either
            if (status.code() != 1 && status.code() != CgroupJoin.CANNOT_JOIN) {
                return status;
            }
            String written = Files.readString(file);
            if (!written.contains("\"exit-code\"")) {
                if (status.code() == CgroupJoin.CANNOT_JOIN) { // bwrap never started: the host's fault, not the job's
                    throw new SandboxException(JOIN_FAILED);
                }
                if (!written.contains("\"child-pid\"")) {
                    throw new SandboxException(NAMESPACES_FAILED);
                }
                return ExecFailure.read(EXEC_FAILED, stderrTail, status)
                        .orElseThrow(() -> SandboxException.causedByTheJob(SETUP_FAILED));
            }
            return status;
        } catch (IOException e) {
            return status; // no status to read: as the process said
        } finally {
            OwnedTempFiles.delete(file);
        }
    }
}
