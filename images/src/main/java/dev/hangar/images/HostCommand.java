package dev.hangar.images;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.concurrent.TimeUnit;

/** Runs a host tool (tar, cp, debootstrap) to completion; a failure carries its output. */
final class HostCommand {
    private HostCommand() {}

    static String run(List<String> command, long timeoutSeconds) throws IOException {
        Process process = new ProcessBuilder(command).redirectErrorStream(true).start();
        process.getOutputStream().close();
        byte[] output = process.getInputStream().readAllBytes();
        try {
            if (!process.waitFor(timeoutSeconds, TimeUnit.SECONDS)) {
                process.destroyForcibly();
                throw new IOException(command.get(0) + " did not finish in " + timeoutSeconds + " s");
            }
        } catch (InterruptedException e) {
            process.destroyForcibly();
            Thread.currentThread().interrupt();
            throw new IOException(command.get(0) + " was interrupted", e);
        }
        String text = new String(output, StandardCharsets.UTF_8);
        if (process.exitValue() != 0) {
            String tail = text.length() > 2000 ? text.substring(text.length() - 2000) : text;
            throw new IOException(String.join(" ", command.subList(0, Math.min(3, command.size()))) + " failed (exit "
                    + process.exitValue() + "): " + tail.strip());
        }
        return text;
    }
}
