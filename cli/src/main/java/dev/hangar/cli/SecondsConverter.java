package dev.hangar.cli;

import java.time.Duration;
import java.time.format.DateTimeParseException;
import java.util.Locale;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import picocli.CommandLine.ITypeConverter;
import picocli.CommandLine.TypeConversionException;

/**
 * Reads a span of time (a job's wall-time limit, its retries' backoff) into whole seconds: {@code 600},
 * or a duration as people type one ({@code 90s}, {@code 10m}, {@code 1h30m}) or as ISO-8601 writes it
 * ({@code PT10M}). The range is the server's to check, so that the refusal is the same from every client.
 */
final class SecondsConverter implements ITypeConverter<Integer> {
    private static final Pattern UNITS = Pattern.compile("(?:(\\d+)h)?(?:(\\d+)m)?(?:(\\d+)s)?");

    @Override
    public Integer convert(String value) {
        String given = value.strip().toLowerCase(Locale.ROOT);
        Duration duration = given.startsWith("p") ? iso(value) : units(given, value);
        if (duration.toNanosPart() != 0 || duration.getSeconds() > Integer.MAX_VALUE
                || duration.getSeconds() < Integer.MIN_VALUE) {
            throw refused(value, duration.toNanosPart() != 0 ? "whole seconds only" : "too long");
        }
        return (int) duration.getSeconds();
    }

    private static Duration units(String given, String value) {
        if (given.chars().allMatch(Character::isDigit) && !given.isEmpty()) {
            return seconds(given, value);
        }
        Matcher m = UNITS.matcher(given);
        if (given.isEmpty() || !m.matches()) {
            throw refused(value, "not a number of seconds or a duration");
        }
        try {
            return Duration.ofHours(number(m.group(1))).plusMinutes(number(m.group(2))).plusSeconds(number(m.group(3)));
        } catch (ArithmeticException | NumberFormatException e) {
            throw refused(value, "too long");
        }
    }

    private static Duration seconds(String given, String value) {
        try {
            return Duration.ofSeconds(Long.parseLong(given));
        } catch (NumberFormatException e) {
            throw refused(value, "too long");
        }
    }

    private static Duration iso(String value) {
        try {
            return Duration.parse(value.strip());
        } catch (DateTimeParseException e) {
            throw refused(value, "not an ISO-8601 duration");
        }
    }

    private static long number(String digits) {
        return digits == null ? 0 : Long.parseLong(digits);
    }

    private static TypeConversionException refused(String value, String why) {
        return new TypeConversionException("'" + value + "': " + why + "; give seconds (600) or a duration such as 90s,"
                + " 10m, 1h30m or PT10M");
    }
}
