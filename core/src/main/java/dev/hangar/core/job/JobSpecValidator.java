package dev.hangar.core.job;

import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.regex.Pattern;

/** Checks a spec against {@link SpecLimits}; names every field that is wrong and why. */
public final class JobSpecValidator {
    private static final Pattern ENV_NAME = Pattern.compile("[A-Za-z_][A-Za-z0-9_]*");
    private static final Pattern NAME = Pattern.compile("[A-Za-z0-9][A-Za-z0-9._:/@+-]*");
    /** A tenant's name: lower case, digits and dashes, as in a DNS label. */
    public static final Pattern TENANT = Pattern.compile("[a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?");
    /** What {@link #TENANT} asks, as a refusal says it. */
    public static final String TENANT_RULE = "must be 1 to 63 lower-case letters, digits and dashes, starting and ending"
            + " with a letter or digit";

    private final SpecLimits limits;

    public JobSpecValidator(SpecLimits limits) {
        this.limits = limits;
    }

    /** Returns the spec if it is valid, else throws with all errors found. */
    public JobSpec validate(JobSpec spec) {
        List<FieldError> errors = errors(spec);
        if (!errors.isEmpty()) {
            throw new InvalidSpecException(errors);
        }
        return spec;
    }

    /**
     * How many entries of one list or map are named in errors: a spec of 100,000 bad env entries
     * would get back an error many times its own size.
     */
    static final int MAX_ITEM_ERRORS = 20;

    public List<FieldError> errors(JobSpec spec) {
        var errors = new ArrayList<FieldError>();
        long commandBytes = checkCommand(spec.command(), errors);
        long envBytes = checkEnv(spec.env(), errors);
        if (commandBytes + envBytes > SpecLimits.MAX_EXEC_BYTES) {
            // the field named is the larger share: an env of 1 MB beside a one-word command is the env's fault
            errors.add(new FieldError(envBytes > commandBytes ? "env" : "command", "command (" + commandBytes
                    + " bytes) and env (" + envBytes + " bytes) add up to " + (commandBytes + envBytes)
                    + " bytes; at most " + SpecLimits.MAX_EXEC_BYTES + " fit"));
        }
        if (spec.stdin() != null && spec.stdin().getBytes(StandardCharsets.UTF_8).length > SpecLimits.MAX_STDIN_BYTES) {
            errors.add(new FieldError("stdin", "is larger than " + SpecLimits.MAX_STDIN_BYTES + " bytes"));
        }
        if (spec.stdin() != null) {
            checkEncodable("stdin", spec.stdin(), errors);
        }
        checkName("name", spec.name(), SpecLimits.MAX_NAME_CHARS, errors);
        checkName("image", spec.image(), SpecLimits.MAX_KEY_CHARS, errors);
        checkName("idempotencyKey", spec.idempotencyKey(), SpecLimits.MAX_KEY_CHARS, errors);
        if (spec.tenant() != null && !TENANT.matcher(spec.tenant()).matches()) {
            errors.add(new FieldError("tenant", TENANT_RULE + ", got '" + spec.tenant() + "'"));
        }
        errors.addAll(nodeErrors(spec));
        between("priority", spec.priority(), 0, 9, errors);
        checkRetry(spec.retry(), errors);
        return errors;
    }

    /**
     * What is wrong with the job against the bounds these limits set (a node's, say), if anything:
     * the checks of {@link #errors} that depend on them, without those of the spec alone (its command,
     * env and stdin, read whole), which a spec valid against the widest bounds has passed.
     */
    public List<FieldError> nodeErrors(JobSpec spec) {
        var errors = new ArrayList<FieldError>();
        if (spec.runtime() != null && !limits.knownRuntimes().contains(spec.runtime())) {
            // why both said: a runtime of a node lost a while ago is known no more, though it is no typo
            errors.add(new FieldError("runtime", "unknown runtime '" + spec.runtime() + "' (no node that is up has it);"
                    + " known: " + String.join(", ", limits.knownRuntimes().stream().sorted().toList())));
        }
        limits.unknownImage(spec.image()).ifPresent(errors::add);
        List<FieldError> selectorErrors = NodeLabels.errors("nodeSelector", spec.nodeSelector());
        errors.addAll(selectorErrors.isEmpty() ? limits.selectorErrors(spec.nodeSelector()) : selectorErrors);
        errors.addAll(limits.mountErrors(spec.mounts()));
        checkResources(spec, errors);
        checkProfile(spec, errors);
        between("timeoutSeconds", spec.timeoutSeconds(), 1, limits.maxTimeoutSeconds(), errors);
        return errors;
    }

    private static long checkCommand(List<String> command, List<FieldError> errors) {
        if (command.isEmpty()) {
            errors.add(new FieldError("command", "must name a program to run"));
            return 0;
        }
        if (command.size() > SpecLimits.MAX_COMMAND_ARGS) {
            errors.add(new FieldError("command", "has more than " + SpecLimits.MAX_COMMAND_ARGS + " arguments"));
        }
        if (command.get(0) != null && command.get(0).isBlank()) { // a null one is named below
            errors.add(new FieldError("command[0]", "must name a program to run"));
        }
        long bytes = 0;
        int before = errors.size();
        for (int i = 0; i < command.size(); i++) {
            if (errors.size() - before >= MAX_ITEM_ERRORS) {
                errors.add(new FieldError("command", "has more bad arguments than the " + MAX_ITEM_ERRORS + " named"));
                break;
            }
            String arg = command.get(i);
            if (arg == null) {
                errors.add(new FieldError("command[" + i + "]", "must not be null"));
            } else if (arg.indexOf('\0') >= 0) {
                errors.add(new FieldError("command[" + i + "]", "must not contain a NUL character"));
            } else {
                bytes += execString("command[" + i + "]", arg, errors);
            }
        }
        return bytes;
    }

    private static long checkEnv(Map<String, String> env, List<FieldError> errors) {
        if (env.size() > SpecLimits.MAX_ENV_ENTRIES) {
            errors.add(new FieldError("env", "has more than " + SpecLimits.MAX_ENV_ENTRIES + " entries"));
        }
        long bytes = 0;
        int before = errors.size();
        for (var entry : env.entrySet()) {
            if (errors.size() - before >= MAX_ITEM_ERRORS) {
                errors.add(new FieldError("env", "has more bad entries than the " + MAX_ITEM_ERRORS + " named"));
                break;
            }
            String key = entry.getKey();
            String value = entry.getValue();
            if (key == null) {
                errors.add(new FieldError("env", "has an entry without a name"));
            } else if (!ENV_NAME.matcher(key).matches()) {
                errors.add(new FieldError("env." + key, "is not a valid variable name ([A-Za-z_][A-Za-z0-9_]*)"));
            } else if (value == null || value.indexOf('\0') >= 0) {
                errors.add(new FieldError("env." + key, "must be a string without NUL characters"));
            } else {
                bytes += execString("env." + key, key + "=" + value, errors);
            }
        }
        return bytes;
    }

    /** Bytes one exec string takes; an error if the kernel would refuse it. */
    private static long execString(String field, String value, List<FieldError> errors) {
        checkEncodable(field, value, errors);
        int bytes = value.getBytes(StandardCharsets.UTF_8).length;
        if (bytes > SpecLimits.MAX_STRING_BYTES) {
            errors.add(new FieldError(field, "is " + bytes + " bytes; Linux cannot start a program with a string over "
                    + SpecLimits.MAX_STRING_BYTES + " bytes"));
        }
        return bytes + 1;
    }

    /** Text that UTF-8 cannot carry would reach the job as '?': refused rather than changed. */
    private static void checkEncodable(String field, String value, List<FieldError> errors) {
        String why = unencodable(value);
        if (why != null) {
            errors.add(new FieldError(field, why));
        }
    }

    /** Why UTF-8 cannot carry this text (a lone surrogate), or null if it can. */
    public static String unencodable(String value) {
        for (int i = 0; i < value.length(); i++) {
            char c = value.charAt(i);
            if (Character.isHighSurrogate(c) && i + 1 < value.length() && Character.isLowSurrogate(value.charAt(i + 1))) {
                i++;
            } else if (Character.isSurrogate(c)) {
                return "holds a lone UTF-16 surrogate (\\u" + Integer.toHexString(c).toUpperCase(java.util.Locale.ROOT)
                        + " at character " + i + "), which is no character and cannot be passed on";
            }
        }
        return null;
    }

    private static void checkName(String field, String value, int max, List<FieldError> errors) {
        if (value == null) {
            return;
        }
        if (value.length() > max) {
            errors.add(new FieldError(field, "is longer than " + max + " characters"));
        } else if (!NAME.matcher(value).matches()) {
            errors.add(new FieldError(field, "must start with a letter or digit and use only letters, digits and ._:/@+-"));
        }
    }

    /** What is wrong with the job's resources alone against these limits (a node's room, say), if anything. */
    public List<FieldError> resourceErrors(JobSpec spec) {
        var errors = new java.util.ArrayList<FieldError>();
        checkResources(spec, errors);
        return errors;
    }

    private void checkResources(JobSpec spec, List<FieldError> errors) {
        Resources r = spec.resources();
        // why 0.01: a cgroup's CPU quota is at least 1 ms per 100 ms period; less would be raised quietly
        if (!(r.cpus() >= Resources.MIN_CPUS) || r.cpus() > limits.maxCpus()) {
            errors.add(new FieldError("resources.cpus", "must be at least " + Resources.MIN_CPUS + " and at most "
                    + limits.maxCpus() + " (the most one node gives a job: its cores, or its --cpus if fewer), got " + r.cpus()));
        }
        between("resources.memoryMb", r.memoryMb(), 8, limits.maxMemoryMb(), errors);
        between("resources.pids", r.pids(), 1, limits.maxPids(), errors);
        between("resources.diskMb", r.diskMb(), 1, limits.maxDiskMb(), errors);
        if (r.gpus() < 0) {
            errors.add(new FieldError("resources.gpus", "must be at least 0, got " + r.gpus()));
        } else if (limits.maxGpus() == 0 && (r.gpus() > 0 || spec.profile().needs().gpu())) {
            // the field that asked for it: a count, or only the profile's need
            errors.add(new FieldError(spec.gpuField(), "the job needs a GPU, and no"
                    + " node here offers one (none found with nvidia-smi or /dev/nvidia*, or its --gpus gives none)"));
        } else {
            between("resources.gpus", r.gpus(), 0, limits.maxGpus(), errors);
        }
        between("resources.outputBytes", r.outputBytes(), 0, limits.maxOutputBytes(), errors);
    }

    private void checkProfile(JobSpec spec, List<FieldError> errors) {
        WorkloadProfile p = spec.profile();
        if (p.needs().network() && !limits.networkAllowed()) {
            errors.add(new FieldError("profile.needs.network", "the job needs a network, and sandboxes get none here"
                    + " (a node gives them one when started with --allow-network)"));
        }
        if (p.latencyBudgetMs() != null) {
            between("profile.latencyBudgetMs", p.latencyBudgetMs(), 1, 3_600_000, errors);
        }
        if (p.threads() != null) {
            between("profile.threads", p.threads(), 1, 4096, errors);
        }
    }

    private static void checkRetry(RetryPolicy retry, List<FieldError> errors) {
        between("retry.maxAttempts", retry.maxAttempts(), 1, SpecLimits.MAX_ATTEMPTS, errors);
        boolean backoffFits = seconds("retry.backoffSeconds", retry.backoffSeconds(), errors);
        if (seconds("retry.maxBackoffSeconds", retry.maxBackoffSeconds(), errors) && backoffFits
                && retry.maxBackoffSeconds() < retry.backoffSeconds()) {
            errors.add(new FieldError("retry.maxBackoffSeconds", "must be at least retry.backoffSeconds ("
                    + retry.backoffSeconds() + "), got " + retry.maxBackoffSeconds()));
        }
    }

    /** Whether a retry's seconds are in range; if not, says so. */
    private static boolean seconds(String field, double value, List<FieldError> errors) {
        if (!(value >= 0) || value > RetryPolicy.MOST_SECONDS) {
            errors.add(new FieldError(field, "must be between 0 and 86400, got " + value));
            return false;
        }
        return true;
    }

    private static void between(String field, long value, long min, long max, List<FieldError> errors) {
        if (value < min || value > max) {
            errors.add(new FieldError(field, "must be between " + min + " and " + max + ", got " + value));
        }
    }
}
