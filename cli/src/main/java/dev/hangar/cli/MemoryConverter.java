package dev.hangar.cli;

import java.math.BigDecimal;
import java.math.RoundingMode;
import java.util.Locale;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import picocli.CommandLine.ITypeConverter;
import picocli.CommandLine.TypeConversionException;

/**
 * Reads a job's memory limit into MiB: {@code 512}, or with a unit as container tools take one
 * ({@code 512m}, {@code 2g}, {@code 1.5GiB}); m and g count in MiB and GiB. The range is the server's to check.
 */
final class MemoryConverter implements ITypeConverter<Long> {
    private static final Pattern SIZE = Pattern.compile("(\\d+(?:\\.\\d+)?)\\s*(m|mi|mib|g|gi|gib)?");

    @Override
    public Long convert(String value) {
        Matcher m = SIZE.matcher(value.strip().toLowerCase(Locale.ROOT));
        if (!m.matches()) {
            throw refused(value, "not a size");
        }
        boolean gib = m.group(2) != null && m.group(2).startsWith("g");
        BigDecimal mib = new BigDecimal(m.group(1)).multiply(BigDecimal.valueOf(gib ? 1024 : 1));
        if (mib.stripTrailingZeros().scale() > 0) {
            throw refused(value, "not a whole number of MiB (" + mib.setScale(2, RoundingMode.DOWN).toPlainString() + ")");
        }
        try {
            return mib.longValueExact();
        } catch (ArithmeticException e) {
            throw refused(value, "too large");
        }
    }

    private static TypeConversionException refused(String value, String why) {
        return new TypeConversionException("'" + value + "': " + why + "; give MiB (512) or a size such as 512m or 2g");
    }
}
