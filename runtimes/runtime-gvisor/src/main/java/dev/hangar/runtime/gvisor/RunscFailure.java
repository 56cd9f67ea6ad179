package dev.hangar.runtime.gvisor;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.MappingIterator;
import dev.hangar.core.json.Json;
import dev.hangar.core.runtime.ExitStatus;
import dev.hangar.core.runtime.SandboxException;
import dev.hangar.runtime.support.ExecFailure;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

/**
 * Tells runsc's own failure apart from its container's exit. {@code runsc run} exits with the
 * container's code, so a job that exits 128 and a runsc that could not boot its sandbox (platform,
 * gofer, root filesystem) look alike from their codes. Only runsc writes to the file of its
 * {@code --log} flag, one JSON entry per error, and then exits 128.
 */
final class RunscFailure {
    /** runsc's exit code when it fails itself ({@code util.Fatalf}). */
    static final int EXIT_CODE = 128;
    /**
     * How runsc words a process the sandbox could not make for the job's own reasons: a command not
     * in the image's PATH, or one it could not load because it is missing, not executable or not a
     * program. Other failures to load (an I/O error of the gofer, say) are the runtime's.
     */
    private static final String NOT_IN_PATH = "error finding executable ";
    private static final String NOT_LOADED = "failed to load ";
    private static final List<String> NOT_LOADABLE = List.of(": no such file or directory", ": permission denied",
            ": exec format error", ": not a directory");
    private static final int MOST_CHARS = 2000;

    private RunscFailure() {}

    /** The file of a sandbox's {@code --log}; runsc appends to it, so it is removed before each boot. */
    static Path file(Path bundle) {
        return bundle.resolve("runsc-errors.json");
    }

    static void clear(Path bundle) throws IOException {
        Files.deleteIfExists(file(bundle));
    }

    /**
     * The status as it is, unless runsc failed itself: when what failed was making the job's process
     * (a command the image lacks, say), the job ends as {@link ExecFailure} has it; else a
     * {@link SandboxException}, the runtime's. A sandbox ended by an OOM kill or its pids limit ended by the job's doing, whatever runsc said.
     */
    static ExitStatus check(ExitStatus status, Path file) throws SandboxException {
        if (status.code() != EXIT_CODE || status.limitsHit().stream().anyMatch(RunscFailure::endsTheSandbox)) {
            return status;
        }
        List<String> errors = errors(file);
        if (errors.isEmpty()) {
            return status;
        }
        String last = errors.getLast();
        String said = errors.size() == 1 ? last : last + " (first: " + errors.getFirst() + ")";
        if (said.length() > MOST_CHARS) {
            said = said.substring(0, MOST_CHARS) + "...";
        }
        var jobs = errors.stream().filter(RunscFailure::jobsCommand).findFirst();
        if (jobs.isPresent()) {
            // as ExecFailure has it; runsc said why on the job's stderr too
            return ExecFailure.status(execReason(jobs.get()), status);
        }
        throw new SandboxException("runsc failed (exit code " + EXIT_CODE + "): " + said);
    }

    /** Why exec refused the job's program, as strerror words it: a program not in the PATH was not found. */
    private static String execReason(String error) {
        return error.contains(NOT_IN_PATH) ? "no such file or directory"
                : NOT_LOADABLE.stream().filter(error::endsWith).findFirst().orElseThrow().substring(2);
    }

    private static boolean jobsCommand(String error) {
        return error.contains(NOT_IN_PATH) || error.contains(NOT_LOADED) && NOT_LOADABLE.stream().anyMatch(error::endsWith);
    }

    /** A limit whose reaching ends a sandbox: an OOM kill, a pids limit; not memory the kernel reclaimed. */
    private static boolean endsTheSandbox(String limitHit) {
        return limitHit.contains("(OOM kill)") || limitHit.startsWith("pids limit");
    }

    /** The messages of the entries runsc wrote, in order; none if it wrote none or the file is unreadable. */
    static List<String> errors(Path file) {
        byte[] written;
        try {
            written = Files.readAllBytes(file);
        } catch (NoSuchFileException e) {
            return List.of();
        } catch (IOException e) {
            return List.of("its error log " + file.getFileName() + " could not be read: " + e.getMessage());
        }
        var messages = new ArrayList<String>();
        try (MappingIterator<JsonNode> entries = Json.mapper().readerFor(JsonNode.class).readValues(written)) {
            while (entries.hasNextValue()) {
                String message = entries.nextValue().path("msg").asText("");
                if (!message.isBlank()) {
                    messages.add(message.strip());
                }
            }
        } catch (IOException | RuntimeException e) {
            // why: what runsc wrote still says it failed, even if not as JSON entries
            String text = new String(written, StandardCharsets.UTF_8).strip();
            if (messages.isEmpty() && !text.isEmpty()) {
                messages.add(text);
            }
        }
        return messages;
    }
}
