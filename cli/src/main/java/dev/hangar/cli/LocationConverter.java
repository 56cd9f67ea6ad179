package dev.hangar.cli;

import dev.hangar.queue.redis.RedisQueueBackend;
import java.net.URI;
import java.net.URISyntaxException;
import picocli.CommandLine.ITypeConverter;
import picocli.CommandLine.TypeConversionException;

/**
 * Reads a queue or Redis location. Picocli's own URI conversion quotes the whole value when it
 * fails, password and all (a password with a stray % or space does that); this one shows it
 * without its credentials.
 */
final class LocationConverter implements ITypeConverter<URI> {
    @Override
    public URI convert(String value) {
        try {
            return new URI(value);
        } catch (URISyntaxException e) {
            throw new TypeConversionException("not a URL (" + e.getReason() + " at index " + e.getIndex() + "): "
                    + RedisQueueBackend.shown(value) + " (a password with / ? # % & or a space must be percent-encoded"
                    + (severalIpv6Hosts(value) ? "; of several IPv6 sentinels or cluster nodes, give the first in the"
                            + " address and the others as ?sentinels=[::2]:26379,[::3]:26379 or ?nodes=[::2]:6379,..." : "")
                    + ")");
        }
    }

    /** An address such as redis-sentinel://[::1]:26379,[::2]:26379/, which java.net.URI refuses. */
    private static boolean severalIpv6Hosts(String value) {
        int start = value.indexOf("://");
        int end = value.indexOf('/', start + 3);
        String address = start < 0 ? "" : value.substring(start + 3, end < 0 ? value.length() : end);
        return address.indexOf('[') != address.lastIndexOf('[');
    }
}
