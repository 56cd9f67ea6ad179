package dev.hangar.queue.redis;

import io.lettuce.core.RedisURI;
import io.lettuce.core.SslOptions;
import io.lettuce.core.SslVerifyMode;
import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.cert.CertificateException;
import java.security.cert.CertificateFactory;
import java.util.Locale;
import java.util.Map;

/**
 * TLS to Redis, for a {@code rediss://}, {@code rediss-sentinel://} or {@code rediss-cluster://}
 * location: every connection (to the server, the sentinels, each cluster node) is encrypted. From the
 * location's query: {@code tlsCa}, a PEM file of the certificates to trust (else the JVM's trust
 * store); {@code tlsCert} and {@code tlsKey}, the client's certificate chain and its unencrypted
 * PKCS#8 key, both PEM, for a server that asks clients for one ({@code tls-auth-clients yes});
 * {@code tlsVerify}: {@code full} (the default: the chain and the host name), {@code ca} (the chain
 * only, for servers addressed by a name their certificate does not carry) or {@code none} (nothing;
 * for tests). The files are checked when the location is parsed (the key against the certificate, see
 * {@link ClientKey}), so that a wrong one is named at once,
 * and read again at each connect (files replaced are used from the next reconnect on).
 */
record RedisTls(Path ca, Path cert, Path key, SslVerifyMode verify) {
    static final String SCHEME_PREFIX = "rediss";
    private static final String PKCS8 = "-----BEGIN PRIVATE KEY-----";

    /**
     * Takes the TLS parameters out of {@code params}: null for a location without TLS, which must
     * name none of them.
     */
    static RedisTls take(Map<String, String> params, boolean tls) {
        String ca = params.remove("tlsCa");
        String cert = params.remove("tlsCert");
        String key = params.remove("tlsKey");
        String verify = params.remove("tlsVerify");
        if (!tls) {
            String given = ca != null ? "tlsCa" : cert != null ? "tlsCert" : key != null ? "tlsKey" : verify != null ? "tlsVerify" : null;
            if (given != null) {
                throw new IllegalArgumentException(given + ": only a rediss:// location (rediss-sentinel://, rediss-cluster://)"
                        + " connects with TLS; write rediss:// to use it");
            }
            return null;
        }
        if ((cert == null) != (key == null)) {
            throw new IllegalArgumentException((cert == null ? "tlsCert" : "tlsKey") + ": a client certificate needs both"
                    + " tlsCert (its chain) and tlsKey (its key)");
        }
        SslVerifyMode mode = verifyMode(verify);
        if (mode == SslVerifyMode.NONE && ca != null) {
            throw new IllegalArgumentException("tlsCa: has no use with tlsVerify=none, which trusts any certificate;"
                    + " leave one of them out");
        }
        Path certPath = certificates("tlsCert", cert);
        Path keyPath = key(key);
        if (keyPath != null) {
            ClientKey.check(certPath, keyPath);
        }
        return new RedisTls(certificates("tlsCa", ca), certPath, keyPath, mode);
    }

    private static SslVerifyMode verifyMode(String value) {
        if (value == null) {
            return SslVerifyMode.FULL;
        }
        return switch (value) {
            case "full" -> SslVerifyMode.FULL;
            case "ca" -> SslVerifyMode.CA;
            case "none" -> SslVerifyMode.NONE;
            default -> throw new IllegalArgumentException("tlsVerify must be full (the certificate chain and the host name),"
                    + " ca (the chain only) or none, got '" + value + "'");
        };
    }

    /** A readable PEM file of one certificate or more, or null if not given. */
    private static Path certificates(String name, String file) {
        Path path = readable(name, file);
        if (path == null) {
            return null;
        }
        try (InputStream in = Files.newInputStream(path)) {
            if (CertificateFactory.getInstance("X.509").generateCertificates(in).isEmpty()) {
                throw new CertificateException("no certificate in it");
            }
        } catch (IOException | CertificateException e) {
            throw new IllegalArgumentException(name + ": " + path + " is not a PEM file of certificates (" + e.getMessage() + ")");
        }
        return path;
    }

    /** Netty reads a PKCS#8 key only: a PKCS#1 one ("BEGIN RSA PRIVATE KEY") would fail at the first connect. */
    private static Path key(String file) {
        Path path = readable("tlsKey", file);
        if (path == null) {
            return null;
        }
        try {
            if (!Files.readString(path, StandardCharsets.US_ASCII).contains(PKCS8)) {
                throw new IllegalArgumentException("tlsKey: " + path + " holds no unencrypted PKCS#8 key (" + PKCS8
                        + "); convert one with: openssl pkcs8 -topk8 -nocrypt -in KEY -out KEY.pk8");
            }
        } catch (IOException e) {
            throw new IllegalArgumentException("tlsKey: cannot read " + path + " (" + e.getMessage() + ")");
        }
        return path;
    }

    private static Path readable(String name, String file) {
        if (file == null) {
            return null;
        }
        Path path;
        try {
            path = Path.of(file);
        } catch (java.nio.file.InvalidPathException e) {
            throw new IllegalArgumentException(name + ": '" + file + "' is no path (" + e.getReason() + ")");
        }
        if (file.isBlank() || !Files.isRegularFile(path) || !Files.isReadable(path)) {
            throw new IllegalArgumentException(name + ": no readable file at '" + file + "'");
        }
        return path;
    }

    /** Connects this URI (a server, a sentinel, a cluster node) with TLS, checking as much as asked. */
    RedisURI applyTo(RedisURI uri) {
        uri.setSsl(true);
        uri.setVerifyPeer(verify);
        return uri;
    }

    /** What to trust and what to show: for the client's options. */
    SslOptions sslOptions() {
        SslOptions.Builder options = SslOptions.builder().jdkSslProvider();
        if (ca != null) {
            options.trustManager(ca.toFile());
        }
        if (cert != null) {
            options.keyManager(cert.toFile(), key.toFile(), null);
        }
        return options.build();
    }

    /** The scheme of a location of this kind ({@code redis}, {@code redis-sentinel}, {@code redis-cluster}) with TLS or without. */
    static String scheme(String plain, boolean tls) {
        return tls ? SCHEME_PREFIX + plain.substring("redis".length()) : plain;
    }

    @Override
    public String toString() {
        return "TLS[verify=" + verify.name().toLowerCase(Locale.ROOT) + (ca == null ? "" : ", ca=" + ca)
                + (cert == null ? "" : ", cert=" + cert) + "]";
    }
}
