package dev.hangar.queue.redis;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Assumptions;

/**
 * Cuts a Redis server (its ports) on the loopback off the network without closing a connection, as a host that
 * loses power or a network that splits does: every packet to or from its port is dropped (iptables),
 * so the peer's kernel neither answers nor resets. Closing it lets packets through again. Needs root
 * and iptables; a test that needs it is skipped, saying so, where they are missing.
 */
final class NetworkCut implements AutoCloseable {
    private final List<Integer> ports;
    private boolean cut;

    private NetworkCut(List<Integer> ports) {
        this.ports = ports;
    }

    /** Cuts off what listens on these ports (test skipped where this host cannot). */
    static NetworkCut of(Integer... ports) {
        Assumptions.assumeTrue(available(), "cutting a connection silently needs root and iptables (iptables -L failed"
                + " here): network-cut tests skipped");
        NetworkCut network = new NetworkCut(List.of(ports));
        network.rules("-I");
        network.cut = true;
        return network;
    }

    private static boolean available() {
        try {
            return run(List.of("iptables", "-w", "-L", "INPUT", "-n")) == 0;
        } catch (IOException e) {
            return false;
        }
    }

    private void rules(String action) {
        String each = ports.stream().map(String::valueOf).collect(java.util.stream.Collectors.joining(","));
        for (String side : List.of("--dports", "--sports")) {
            List<String> rule = List.of("iptables", "-w", action, "INPUT", "-i", "lo", "-p", "tcp", "-m", "multiport",
                    side, each, "-j", "DROP");
            try {
                if (run(rule) != 0) {
                    throw new IllegalStateException("failed: " + String.join(" ", rule));
                }
            } catch (IOException e) {
                throw new IllegalStateException("failed: " + String.join(" ", rule), e);
            }
        }
    }

    private static int run(List<String> command) throws IOException {
        Process process = new ProcessBuilder(command).redirectErrorStream(true).start();
        try {
            String output = new String(process.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
            if (!process.waitFor(30, TimeUnit.SECONDS)) {
                process.destroyForcibly();
                return -1;
            }
            if (process.exitValue() != 0) {
                System.err.println(String.join(" ", command) + ": " + output.strip());
            }
            return process.exitValue();
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            process.destroyForcibly();
            return -1;
        }
    }

    /** Lets the server's packets through again. */
    @Override
    public void close() {
        if (cut) {
            cut = false;
            rules("-D");
        }
    }
}
