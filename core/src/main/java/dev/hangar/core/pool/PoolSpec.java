package dev.hangar.core.pool;

import dev.hangar.core.job.FieldError;
import dev.hangar.core.job.InvalidSpecException;
import dev.hangar.core.job.Resources;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.regex.Pattern;

/**
 * A warm pool: keep between {@code min} and {@code max} sandboxes of one runtime and image, each
 * with these resources, started ahead of the jobs that will take them. Sandboxes beyond {@code min}
 * are destroyed after {@code idleSeconds} unused. The document of {@code PUT /v1/pools/{name}} and
 * of {@code --pool}; missing values take the defaults below.
 *
 * @param name  the pool's name (default: made from runtime, image and resources)
 * @param image    the image; null for the runtime's default (the host's own files for {@code process})
 * @param snapshot fill the pool by restoring a snapshot template (booted once, prepared, saved)
 *                 instead of booting each sandbox; only where the runtime can snapshot
 * @param prepare  a shell command the template runs once before it is saved (e.g. load a model);
 *                 every sandbox restored from it starts where it left off. Implies snapshot, which
 *                 must then not be false
 */
public record PoolSpec(String name, String runtime, String image, Double cpus, Long memoryMb, Integer min, Integer max,
        Integer idleSeconds, Boolean snapshot, String prepare) {
    public static final int DEFAULT_MIN = 2;
    public static final int DEFAULT_IDLE_SECONDS = 300;
    public static final long DEFAULT_MEMORY_MB = Resources.DEFAULT_MEMORY_MB;
    public static final int MAX_SIZE = 1000;
    public static final int MAX_PREPARE_CHARS = 64 * 1024;
    private static final Pattern NAME = Pattern.compile("[A-Za-z0-9][A-Za-z0-9._-]{0,62}");

    public PoolSpec {
        cpus = cpus == null ? Resources.DEFAULT_CPUS : cpus;
        memoryMb = memoryMb == null ? DEFAULT_MEMORY_MB : memoryMb;
        min = min == null ? DEFAULT_MIN : min;
        max = max == null ? Math.clamp(min, 1, MAX_SIZE) : max; // within bounds: a bad min is named alone
        idleSeconds = idleSeconds == null ? DEFAULT_IDLE_SECONDS : idleSeconds;
        name = name == null || name.isBlank() ? defaultName(runtime, image, cpus, memoryMb) : name;
        // why false kept as given: a prepare step needs a snapshot, which errors() says rather than overrule it
        snapshot = snapshot == null ? prepare != null : snapshot;
    }

    /** A pool of booted sandboxes (no snapshot template). */
    public PoolSpec(String name, String runtime, String image, Double cpus, Long memoryMb, Integer min, Integer max,
            Integer idleSeconds) {
        this(name, runtime, image, cpus, memoryMb, min, max, idleSeconds, null, null);
    }

    /** The resources every sandbox of the pool is made with: a job that takes one must ask for these. */
    public Resources resources() {
        return new Resources(cpus, memoryMb, null, null, 0, null);
    }

    public Duration idleExpiry() {
        return Duration.ofSeconds(idleSeconds);
    }

    /** Whether the sandboxes of {@code other} are made just like these (only sizes or expiry differ). */
    public boolean sameSandboxes(PoolSpec other) {
        return runtime.equals(other.runtime) && java.util.Objects.equals(image, other.image) && cpus.equals(other.cpus)
                && memoryMb.equals(other.memoryMb) && snapshot.equals(other.snapshot)
                && java.util.Objects.equals(prepare, other.prepare);
    }

    /** Every field that is wrong and why; {@code runtimes} are those that may back a pool on this node. */
    public List<FieldError> errors(java.util.Set<String> runtimes) {
        var errors = new ArrayList<FieldError>();
        nameError(name).ifPresent(errors::add);
        if (runtime == null || runtime.isBlank()) {
            errors.add(new FieldError("runtime", "is required; one of: " + String.join(", ", runtimes.stream().sorted().toList())));
        } else if (!runtimes.contains(runtime)) {
            errors.add(new FieldError("runtime", "'" + runtime + "' cannot back a warm pool on this node (it is unknown, "
                    + "unavailable or cannot start sandboxes ahead of a job); pooled runtimes: "
                    + (runtimes.isEmpty() ? "none" : String.join(", ", runtimes.stream().sorted().toList()))));
        }
        if (image != null && !image.matches("[A-Za-z0-9][A-Za-z0-9._:/@+-]{0,255}")) {
            errors.add(new FieldError("image", "is not an image name: '" + image + "'"));
        }
        if (!(cpus >= dev.hangar.core.job.Resources.MIN_CPUS) || cpus > 1024) {
            errors.add(new FieldError("cpus", "must be at least " + dev.hangar.core.job.Resources.MIN_CPUS
                    + " and at most 1024, got " + cpus));
        }
        if (memoryMb < 16 || memoryMb > 1024L * 1024) {
            errors.add(new FieldError("memoryMb", "must be between 16 and 1048576, got " + memoryMb));
        }
        if (min < 0 || min > MAX_SIZE) {
            errors.add(new FieldError("min", "must be between 0 and " + MAX_SIZE + ", got " + min));
        }
        if (max < 1 || max > MAX_SIZE) {
            errors.add(new FieldError("max", "must be between 1 and " + MAX_SIZE + ", got " + max));
        } else if (max < min && min <= MAX_SIZE) {
            errors.add(new FieldError("max", "must be at least min (" + min + "), got " + max));
        }
        if (idleSeconds < 1 || idleSeconds > 7 * 24 * 3600) {
            errors.add(new FieldError("idleSeconds", "must be between 1 and 604800, got " + idleSeconds));
        }
        if (prepare != null && (prepare.isBlank() || prepare.length() > MAX_PREPARE_CHARS)) {
            errors.add(new FieldError("prepare", "must be a shell command of 1 to " + MAX_PREPARE_CHARS + " characters"));
        }
        if (prepare != null) {
            // why: the command is run through a launcher that refuses a NUL, and UTF-8 would carry a lone surrogate as '?'
            String why = prepare.indexOf('\0') >= 0 ? "must not contain a NUL character"
                    : dev.hangar.core.job.JobSpecValidator.unencodable(prepare);
            if (why != null) {
                errors.add(new FieldError("prepare", why));
            }
        }
        if (prepare != null && !snapshot) {
            errors.add(new FieldError("snapshot", "is false, but a pool with a prepare step fills from the snapshot its"
                    + " template saves once prepared; leave snapshot out, or set it true"));
        }
        return errors;
    }

    /** Returns this spec if it is valid, else throws naming every field at fault. */
    public PoolSpec validate(java.util.Set<String> runtimes) {
        List<FieldError> errors = errors(runtimes);
        if (!errors.isEmpty()) {
            throw new InvalidSpecException(errors);
        }
        return this;
    }

    /** What is wrong with {@code name} as a pool's name, if anything (a blank one too: only a spec's own may default). */
    public static java.util.Optional<FieldError> nameError(String name) {
        if (name != null && NAME.matcher(name).matches()) {
            return java.util.Optional.empty();
        }
        return java.util.Optional.of(new FieldError("name",
                "must be 1-63 letters, digits, '.', '_' or '-', starting with a letter or digit; got '" + name + "'"));
    }

    public PoolSpec withName(String value) {
        return new PoolSpec(value, runtime, image, cpus, memoryMb, min, max, idleSeconds, snapshot, prepare);
    }

    private static String defaultName(String runtime, String image, double cpus, long memoryMb) {
        String cpuText = cpus == Math.rint(cpus) ? String.valueOf((long) cpus) : String.valueOf(cpus);
        String base = (runtime == null ? "pool" : runtime) + "-" + (image == null ? "default" : image) + "-" + cpuText
                + "cpu-" + memoryMb + "mb";
        return base.toLowerCase(Locale.ROOT).replaceAll("[^a-z0-9._-]", "_");
    }
}
