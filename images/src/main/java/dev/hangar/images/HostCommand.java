package dev.hangar.images;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;

/** Runs a host tool (tar, cp, debootstrap) to completion within a bound; a failure carries its output. */
final class HostCommand {
    private HostCommand() {}

    /**
     * The command in a mount namespace of its own (root only), so that what it mounts goes when it
     * ends, however it ends: debootstrap mounts /proc and /sys in the image it makes and unmounts
     * them only as it exits, so a build stopped by its timeout or an agent's stop left them mounted
     * on the host, in a directory then impossible to delete.
     */
    static String runInOwnMounts(List<String> command, long timeoutSeconds) throws IOException {
        var wrapped = new java.util.ArrayList<>(List.of("unshare", "--mount", "--propagation", "private", "--"));
        wrapped.addAll(command);
        return run(wrapped, command, timeoutSeconds);
    }

    static String run(List<String> command, long timeoutSeconds) throws IOException {
        return run(command, command, timeoutSeconds);
    }

    /** Runs {@code command}, naming it in errors as {@code named} (the tool, not its wrapper). */
    private static String run(List<String> command, List<String> named, long timeoutSeconds) throws IOException {
        var builder = new ProcessBuilder(command).redirectErrorStream(true);
        // why: its errors are read (LocalImageStore tells a full disk from a bad tarball by them) and logged in English
        builder.environment().put("LC_ALL", "C");
        Process process = builder.start();
        process.getOutputStream().close();
        // why on a thread of its own: reading to the end would wait for the tool however long it hangs
        var output = new CompletableFuture<byte[]>();
        Thread.ofVirtual().start(() -> output.complete(drain(process.getInputStream())));
        try {
            if (!process.waitFor(timeoutSeconds, TimeUnit.SECONDS)) {
                kill(process);
                throw new IOException(named.get(0) + " did not finish in " + timeoutSeconds + " s");
            }
        } catch (InterruptedException e) {
            kill(process);
            Thread.currentThread().interrupt();
            throw new IOException(named.get(0) + " was interrupted", e);
        }
        String text = new String(output.join(), StandardCharsets.UTF_8);
        if (process.exitValue() != 0) {
            String tail = text.length() > 2000 ? text.substring(text.length() - 2000) : text;
            throw new IOException(String.join(" ", named.subList(0, Math.min(3, named.size()))) + " failed (exit "
                    + process.exitValue() + "): " + tail.strip());
        }
        return text;
    }

    /** The tool and what it started (debootstrap runs many), so that none holds the output open. */
    private static void kill(Process process) {
        process.descendants().forEach(ProcessHandle::destroyForcibly);
        process.destroyForcibly();
    }

    private static byte[] drain(InputStream in) {
        var out = new ByteArrayOutputStream();
        try (in) {
            in.transferTo(out);
        } catch (IOException e) {
            // the tool was killed: what it wrote so far is all there is
        }
        return out.toByteArray();
    }
}
