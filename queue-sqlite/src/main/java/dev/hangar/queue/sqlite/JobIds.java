package dev.hangar.queue.sqlite;

import java.security.SecureRandom;
import java.time.Instant;

/**
 * Job ids such as {@code j-01jd3k8q2m7xv4c9t5hn}: "j-" and 20 characters of lower-case Crockford
 * base32 (URL-safe, no i/l/o/u to misread) over 100 bits, 48 bits of submit time in milliseconds
 * then 52 random bits. Ids from different milliseconds sort by time; within one millisecond they
 * are random, and 52 random bits make a clash there practically impossible (the UNIQUE column
 * would refuse one rather than mix two jobs).
 */
final class JobIds {
    private static final char[] ALPHABET = "0123456789abcdefghjkmnpqrstvwxyz".toCharArray();
    private static final long BITS_50 = (1L << 50) - 1;

    private final SecureRandom random = new SecureRandom();

    String next(Instant now) {
        long time = now.toEpochMilli() & ((1L << 48) - 1);
        long bits = random.nextLong() & ((1L << 52) - 1);
        long high = (time << 2) | (bits >>> 50); // 50 bits: the time, then 2 random bits
        long low = bits & BITS_50;
        char[] id = new char[22];
        id[0] = 'j';
        id[1] = '-';
        encode(high, id, 2);
        encode(low, id, 12);
        return new String(id);
    }

    /** Writes 50 bits as 10 characters, most significant first, so that text order is number order. */
    private static void encode(long value, char[] out, int at) {
        for (int i = 9; i >= 0; i--) {
            out[at + i] = ALPHABET[(int) (value & 31)];
            value >>>= 5;
        }
    }
}
