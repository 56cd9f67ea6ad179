package dev.hangar.agent;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.TreeSet;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Stream;

/**
 * The NVIDIA GPUs of this host, by device index: what {@code nvidia-smi -L} lists, else the
 * {@code /dev/nvidiaN} device nodes. Probed, never assumed.
 */
public final class Gpus {
    private static final Pattern SMI_LINE = Pattern.compile("^GPU (\\d+): .*$", Pattern.MULTILINE);
    private static final Pattern DEVICE = Pattern.compile("nvidia(\\d+)");

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
        try {
            Process smi = new ProcessBuilder("nvidia-smi", "-L").redirectErrorStream(true).start();
            String output = new String(smi.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
            if (!smi.waitFor(10, TimeUnit.SECONDS) || smi.exitValue() != 0) {
                smi.destroyForcibly();
                return List.of();
            }
            return parseNvidiaSmi(output);
        } catch (IOException e) {
            return List.of();
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            return List.of();
        }
    }
}
