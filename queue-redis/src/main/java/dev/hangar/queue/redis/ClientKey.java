package dev.hangar.queue.redis;

import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.GeneralSecurityException;
import java.security.KeyFactory;
import java.security.PrivateKey;
import java.security.Signature;
import java.security.cert.CertificateFactory;
import java.security.cert.X509Certificate;
import java.security.spec.PKCS8EncodedKeySpec;
import java.util.Base64;
import java.util.List;

/**
 * Checks a client certificate's key as its location is parsed, so that a broken key, or the key of
 * another certificate, is named then rather than found at the first TLS handshake as a refusal that
 * names neither.
 */
final class ClientKey {
    private static final String BEGIN = "-----BEGIN PRIVATE KEY-----";
    private static final String END = "-----END PRIVATE KEY-----";
    /** The key kinds a TLS client certificate has, with a signature each can make. */
    private static final List<List<String>> KINDS = List.of(List.of("RSA", "SHA256withRSA"),
            List.of("EC", "SHA256withECDSA"), List.of("Ed25519", "Ed25519"), List.of("Ed448", "Ed448"));

    private ClientKey() {}

    /** Throws, naming tlsKey, unless {@code keyFile} holds a PKCS#8 key that is the key of the first certificate of {@code certFile}. */
    static void check(Path certFile, Path keyFile) {
        X509Certificate cert = firstCertificate(certFile);
        byte[] encoded = encoded(keyFile);
        byte[] probe = "hangar: is this the certificate's key?".getBytes(StandardCharsets.US_ASCII);
        for (List<String> kind : KINDS) {
            PrivateKey key;
            try {
                key = KeyFactory.getInstance(kind.get(0)).generatePrivate(new PKCS8EncodedKeySpec(encoded));
            } catch (GeneralSecurityException e) {
                continue; // another kind
            }
            try {
                Signature sign = Signature.getInstance(kind.get(1));
                sign.initSign(key);
                sign.update(probe);
                byte[] signature = sign.sign();
                Signature verify = Signature.getInstance(kind.get(1));
                verify.initVerify(cert.getPublicKey());
                verify.update(probe);
                if (verify.verify(signature)) {
                    return;
                }
            } catch (GeneralSecurityException e) {
                // a key of another kind than the certificate's
            }
            throw new IllegalArgumentException("tlsKey: " + keyFile + " is not the key of tlsCert's certificate ("
                    + cert.getSubjectX500Principal().getName() + ")");
        }
        throw new IllegalArgumentException("tlsKey: " + keyFile + " holds no RSA, EC or EdDSA private key this process can read");
    }

    private static X509Certificate firstCertificate(Path certFile) {
        try (InputStream in = Files.newInputStream(certFile)) {
            return (X509Certificate) CertificateFactory.getInstance("X.509").generateCertificate(in);
        } catch (IOException | GeneralSecurityException e) {
            throw new IllegalArgumentException("tlsCert: " + certFile + " is not a PEM file of certificates (" + e.getMessage() + ")");
        }
    }

    /** The DER bytes between the PEM markers (which RedisTls has seen are there). */
    private static byte[] encoded(Path keyFile) {
        String pem;
        try {
            pem = Files.readString(keyFile, StandardCharsets.US_ASCII);
        } catch (IOException e) {
            throw new IllegalArgumentException("tlsKey: cannot read " + keyFile + " (" + e.getMessage() + ")");
        }
        int from = pem.indexOf(BEGIN) + BEGIN.length();
        int to = pem.indexOf(END, from);
        if (to < 0) {
            throw new IllegalArgumentException("tlsKey: " + keyFile + " has no " + END + " line");
        }
        try {
            return Base64.getMimeDecoder().decode(pem.substring(from, to));
        } catch (IllegalArgumentException e) {
            throw new IllegalArgumentException("tlsKey: " + keyFile + " holds a broken key (" + e.getMessage() + ")");
        }
    }
}
