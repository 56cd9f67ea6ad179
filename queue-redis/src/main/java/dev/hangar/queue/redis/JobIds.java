package dev.hangar.queue.redis;

import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.security.SecureRandom;
import java.time.Instant;

/**
 * Job ids in the shape every Hangar backend uses, e.g. {@code j-01jd3k8q2m7xv4c9t5hn}: "j-" and 20
 * characters of lower-case Crockford base32 over 48 bits of milliseconds and 52 further bits. A
 * submitted job takes random bits; a job taken in from the submit stream takes bits hashed from the
 * entry id, so taking the same entry in twice names the same job (and the second time is a no-op).
 */
final class JobIds {
    private static final char[] ALPHABET = "0123456789abcdefghjkmnpqrstvwxyz".toCharArray();
    private static final long BITS_52 = (1L << 52) - 1;
    private static final SecureRandom RANDOM = new SecureRandom();

    private JobIds() {}

    static String random(Instant now) {
        return id(now.toEpochMilli(), RANDOM.nextLong());
    }

    /** The id of the job made from submit entry {@code entryId} (ms-seq) of the queue {@code prefix}. */
    static String forSubmitEntry(String prefix, String entryId) {
        // unsigned: a producer may give an entry any id up to 2^64 - 1 (only 48 bits of it are used)
        long millis = Long.parseUnsignedLong(entryId.substring(0, entryId.indexOf('-')));
        try {
            byte[] hash = MessageDigest.getInstance("SHA-256").digest((prefix + "/" + entryId).getBytes(StandardCharsets.UTF_8));
            long bits = 0;
            for (int i = 0; i < 8; i++) {
                bits = (bits << 8) | (hash[i] & 0xff);
            }
            return id(millis, bits);
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException(e);
        }
    }

    private static String id(long millis, long bits) {
        long time = millis & ((1L << 48) - 1);
        long rest = bits & BITS_52;
        char[] id = new char[22];
        id[0] = 'j';
        id[1] = '-';
        // 100 bits, most significant first, so that ids of different milliseconds sort by time
        encode((time << 2) | (rest >>> 50), id, 2);
        encode(rest & ((1L << 50) - 1), id, 12);
        return new String(id);
    }

    private static void encode(long fiftyBits, char[] out, int at) {
        for (int i = 9; i >= 0; i--) {
            out[at + i] = ALPHABET[(int) (fiftyBits & 31)];
            fiftyBits >>>= 5;
        }
    }
}
