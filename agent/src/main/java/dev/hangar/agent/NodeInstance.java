package dev.hangar.agent;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.HexFormat;

/**
 * Which agent beats under a node's name: the host's boot and the agent's data directory, hashed. An agent restarted
 * in place (after a crash, say) is the same instance; one on another host, or on another data directory of this one,
 * is another. Only one agent at a time holds a data directory, so two live agents are never the same instance.
 */
public final class NodeInstance {
    private static final Path BOOT_ID = Path.of("/proc/sys/kernel/random/boot_id");

    private NodeInstance() {}

    public static String of(Path dataDir) {
        String boot;
        try {
            boot = Files.readString(BOOT_ID).strip();
        } catch (IOException e) {
            boot = ""; // not Linux: the data directory alone
        }
        String dir;
        try {
            dir = dataDir.toRealPath().toString();
        } catch (IOException e) {
            dir = dataDir.toAbsolutePath().normalize().toString();
        }
        try {
            // why hashed: the registry is read by every node and the API, and the path is this host's business
            byte[] digest = MessageDigest.getInstance("SHA-256").digest((boot + "\0" + dir).getBytes(StandardCharsets.UTF_8));
            return HexFormat.of().formatHex(digest, 0, 8);
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException("every JDK has SHA-256", e);
        }
    }
}
