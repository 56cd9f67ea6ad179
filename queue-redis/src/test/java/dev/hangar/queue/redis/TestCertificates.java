package dev.hangar.queue.redis;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Assumptions;

/**
 * A certificate authority of its own for TLS tests, made with the openssl command (EC P-256 keys, valid
 * two days, unencrypted PKCS#8 keys), and certificates it signs. Tests are skipped, saying why, where
 * openssl is not installed.
 */
final class TestCertificates {
    /** A certificate and its key. */
    record Pair(Path cert, Path key) {
    }

    private final Path dir;
    private final Pair ca;
    private int made;

    private TestCertificates(Path dir, Pair ca) {
        this.dir = dir;
        this.ca = ca;
    }

    /** A new authority in {@code dir}. */
    static TestCertificates authority(Path dir, String name) {
        Assumptions.assumeTrue(RedisServerProcess.executable("openssl") != null,
                "openssl is not installed (not on the PATH): TLS tests skipped");
        Pair ca = new Pair(dir.resolve(name + "-ca.crt"), dir.resolve(name + "-ca.key"));
        openssl(dir, "req", "-x509", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:prime256v1", "-nodes",
                "-keyout", ca.key().toString(), "-out", ca.cert().toString(), "-days", "2", "-subj", "/CN=" + name);
        return new TestCertificates(dir, ca);
    }

    Path caCert() {
        return ca.cert();
    }

    /** A certificate this authority signed, for these subject alternative names (e.g. IP:127.0.0.1, DNS:localhost). */
    Pair issue(String name, String... alternativeNames) {
        made++;
        Path key = dir.resolve(name + made + ".key");
        Path request = dir.resolve(name + made + ".csr");
        Path cert = dir.resolve(name + made + ".crt");
        Path extensions = dir.resolve(name + made + ".ext");
        try {
            Files.writeString(extensions, alternativeNames.length == 0 ? "basicConstraints=CA:FALSE\n"
                    : "subjectAltName=" + String.join(",", alternativeNames) + "\n");
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        openssl(dir, "req", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:prime256v1", "-nodes", "-keyout", key.toString(),
                "-out", request.toString(), "-subj", "/CN=" + name);
        openssl(dir, "x509", "-req", "-in", request.toString(), "-CA", ca.cert().toString(), "-CAkey", ca.key().toString(),
                "-CAcreateserial", "-out", cert.toString(), "-days", "2", "-extfile", extensions.toString());
        return new Pair(cert, key);
    }

    private static void openssl(Path dir, String... args) {
        List<String> command = new ArrayList<>(List.of("openssl"));
        command.addAll(List.of(args));
        try {
            Process process = new ProcessBuilder(command).directory(dir.toFile()).redirectErrorStream(true).start();
            String output = new String(process.getInputStream().readAllBytes());
            if (process.waitFor() != 0) {
                throw new IllegalStateException(String.join(" ", command) + " failed: " + output);
            }
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException(e);
        }
    }
}
