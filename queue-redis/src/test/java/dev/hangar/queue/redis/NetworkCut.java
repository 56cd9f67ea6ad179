package dev.hangar.queue.redis;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.stream.Collectors;
import org.junit.jupiter.api.Assumptions;

/**
 * Cuts a Redis server (its ports) on the loopback off the network without closing a connection, as a
 * host that loses power or a network that splits does: every packet to or from its ports is dropped
 * (iptables), so the peer's kernel neither answers nor resets. Closing it lets packets through again.
 * Needs root and iptables; a test that needs it is skipped, saying so, where they are missing. The
 * rules carry a mark naming the JVM that made them, and those of a test JVM killed before it could
 * remove them are removed when the next cut is made; those of a test JVM that runs (another checkout's
 * suite beside this one) are left to it.
 */
final class NetworkCut implements AutoCloseable {
    private static final String MARK_BASE = "hangar-test-network-cut";
    private static final String MARK = MARK_BASE + "-" + ProcessHandle.current().pid();
    private final List<List<String>> rules;
    private final List<List<String>> made = new ArrayList<>();

    private NetworkCut(List<Integer> ports) {
        String each = ports.stream().map(String::valueOf).collect(Collectors.joining(","));
        this.rules = List.of("--dports", "--sports").stream().map(side -> List.of("INPUT", "-i", "lo", "-p", "tcp",
                "-m", "multiport", side, each, "-m", "comment", "--comment", MARK, "-j", "DROP")).toList();
    }

    /** Cuts off what listens on these ports (test skipped where this host cannot). */
    static NetworkCut of(Integer... ports) {
        Assumptions.assumeTrue(run("-L", List.of("INPUT", "-n")).ok(), "cutting a connection silently needs root and"
                + " iptables (iptables -L failed here): network-cut tests skipped");
        removeLeftOvers();
        NetworkCut network = new NetworkCut(List.of(ports));
        try {
            for (List<String> rule : network.rules) {
                run("-I", rule).orThrow();
                network.made.add(rule);
            }
        } catch (RuntimeException e) {
            network.close();
            throw e;
        }
        return network;
    }

    /** Rules a killed test JVM left behind, each of which would blackhole its port for good. */
    private static void removeLeftOvers() {
        for (String line : run("-S", List.of("INPUT")).output().lines().toList()) {
            if (line.startsWith("-A INPUT ") && line.contains(MARK_BASE) && ownerGone(line)) {
                List<String> rule = new ArrayList<>(List.of(line.substring(3).split(" ")));
                rule.replaceAll(word -> word.replace("\"", ""));
                run("-D", rule).orThrow();
            }
        }
    }

    /** Whether the JVM the rule's mark names has ended (a mark naming none is an older suite's). */
    private static boolean ownerGone(String rule) {
        var pid = java.util.regex.Pattern.compile(MARK_BASE + "-(\\d+)").matcher(rule);
        return !pid.find() || ProcessHandle.of(Long.parseLong(pid.group(1))).isEmpty();
    }

    private record Result(int exit, String output, List<String> command) {
        boolean ok() {
            return exit == 0;
        }

        Result orThrow() {
            if (!ok()) {
                throw new IllegalStateException("failed (" + exit + "): " + String.join(" ", command) + ": " + output.strip());
            }
            return this;
        }
    }

    private static Result run(String action, List<String> rule) {
        List<String> command = new ArrayList<>(List.of("iptables", "-w", "10", action));
        command.addAll(rule);
        try {
            Process process = new ProcessBuilder(command).redirectErrorStream(true).start();
            try {
                if (!process.waitFor(30, TimeUnit.SECONDS)) {
                    process.destroyForcibly();
                    return new Result(-1, "no answer in 30 s", command);
                }
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                process.destroyForcibly();
                return new Result(-1, "interrupted", command);
            }
            return new Result(process.exitValue(),
                    new String(process.getInputStream().readAllBytes(), StandardCharsets.UTF_8), command);
        } catch (IOException e) {
            return new Result(-1, String.valueOf(e.getMessage()), command);
        }
    }

    /** Lets the server's packets through again: every rule made is removed, even if one removal fails. */
    @Override
    public void close() {
        List<String> failed = new ArrayList<>();
        for (List<String> rule : made) {
            Result removed = run("-D", rule);
            if (!removed.ok()) {
                failed.add(String.join(" ", removed.command()) + ": " + removed.output().strip());
            }
        }
        made.clear();
        if (!failed.isEmpty()) {
            throw new IllegalStateException("could not remove: " + failed);
        }
    }
}
