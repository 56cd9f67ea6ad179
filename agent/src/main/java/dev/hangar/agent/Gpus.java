package dev.hangar.agent;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.TreeSet;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Stream;

/**
 * The NVIDIA GPUs of this host, by device number: the N of each GPU's {@code /dev/nvidiaN}, as {@code nvidia-smi}
 * gives it ({@code minor_number}), else the device nodes there are. Probed, never assumed. Why not nvidia-smi's
 * index: it is not always the device number, and a job is given its GPUs as device nodes.
 */
public final class Gpus {
    private static final Pattern SMI_LINE = Pattern.compile("^\\s*(\\d+)\\s*$", Pattern.MULTILINE);
    private static final Pattern DEVICE = Pattern.compile("nvidia(\\d+)");
    private static final Duration SMI_BOUND = Duration.ofSeconds(10);

    private Gpus() {}

    public static List<String> discover() {
        List<String> fromSmi = fromNvidiaSmi();
        return fromSmi.isEmpty() ? fromDevices(Path.of("/dev")) : fromSmi;
    }

    static List<String> parseNvidiaSmi(String output) {
        var indices = new ArrayList<String>();
        Matcher m = SMI_LINE.matcher(output);
        while (m.find()) {
            indices.add(m.group(1));
        }
        return indices;
    }

    static List<String> fromDevices(Path dev) {
        try (Stream<Path> entries = Files.list(dev)) {
            var indices = new TreeSet<Integer>();
            entries.map(p -> DEVICE.matcher(p.getFileName().toString()))
                    .filter(Matcher::matches)
                    .forEach(m -> indices.add(Integer.parseInt(m.group(1))));
            return indices.stream().map(String::valueOf).toList();
        } catch (IOException e) {
            return List.of();
        }
    }

    private static List<String> fromNvidiaSmi() {
        return listed(List.of("nvidia-smi", "--query-gpu=minor_number", "--format=csv,noheader"), SMI_BOUND);
    }

    /**
     * The GPUs {@code command} lists as nvidia-smi's minor_number query does (a number a line), or none if it fails
     * or does not end within
     * {@code bound}: nvidia-smi is known to hang on a GPU that fell off the bus, and a node must still start.
     */
    static List<String> listed(List<String> command, Duration bound) {
        Path output = null;
        Process smi = null;
        try {
            // why to a file: reading a pipe to its end would wait as long as the command hangs
            output = Files.createTempFile("hangar-gpus-", ".txt");
            smi = new ProcessBuilder(command).redirectErrorStream(true).redirectOutput(output.toFile()).start();
            if (!smi.waitFor(bound.toMillis(), TimeUnit.MILLISECONDS) || smi.exitValue() != 0) {
                return List.of();
            }
            return parseNvidiaSmi(Files.readString(output, StandardCharsets.UTF_8));
        } catch (IOException e) {
            return List.of();
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            return List.of();
        } finally {
            if (smi != null) {
                smi.descendants().forEach(ProcessHandle::destroyForcibly);
                smi.destroyForcibly();
            }
            if (output != null) {
                try {
                    Files.deleteIfExists(output);
                } catch (IOException ignored) {
                    // why: a temp file left is no reason to fail the probe
                }
            }
        }
    }
}
