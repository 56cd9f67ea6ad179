package dev.hangar.agent;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.HexFormat;

/**
 * Which agent beats under a node's name: the host's boot, its host name and the agent's data directory, hashed. An
 * agent restarted in place (after a crash, say) is the same instance; one on another host, or on another data
 * directory of this one, is another. Only one agent at a time holds a data directory; containers share their host's
 * boot, and are told apart by their host names (two containers of one host name whose data directories have one path
 * inside them would be taken for one agent).
 */
public final class NodeInstance {
    private static final Path BOOT_ID = Path.of("/proc/sys/kernel/random/boot_id");
    /** The host name of this process's UTS namespace: a container's own. */
    private static final Path HOST_NAME = Path.of("/proc/sys/kernel/hostname");

    private NodeInstance() {}

    public static String of(Path dataDir) {
        String host = readOrEmpty(BOOT_ID) + "\0" + readOrEmpty(HOST_NAME);
        String dir;
        try {
            dir = dataDir.toRealPath().toString();
        } catch (IOException e) {
            dir = dataDir.toAbsolutePath().normalize().toString();
        }
        try {
            // why hashed: the registry is read by every node and the API, and the path is this host's business
            byte[] digest = MessageDigest.getInstance("SHA-256").digest((host + "\0" + dir).getBytes(StandardCharsets.UTF_8));
            return HexFormat.of().formatHex(digest, 0, 8);
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException("every JDK has SHA-256", e);
        }
    }

    private static String readOrEmpty(Path file) {
        try {
            return Files.readString(file).strip();
        } catch (IOException e) {
            return ""; // not Linux: the data directory alone
        }
    }
}
