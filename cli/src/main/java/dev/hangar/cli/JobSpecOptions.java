package dev.hangar.cli;

import dev.hangar.core.job.JobSpec;
import dev.hangar.core.job.Needs;
import dev.hangar.core.job.NodeLabels;
import dev.hangar.core.job.Resources;
import dev.hangar.core.job.RetryPolicy;
import dev.hangar.core.job.Trust;
import dev.hangar.core.job.WorkloadProfile;
import dev.hangar.core.runtime.Mount;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import picocli.CommandLine.Option;

/** A job spec from flags, as {@code hangar run} takes it. */
final class JobSpecOptions {
    @Option(names = "--runtime", description = "Pin a runtime (still checked against the selection rules)")
    String runtime;

    @Option(names = "--untrusted", description = "The code is untrusted: it needs a kernel boundary (gVisor or a VM)")
    boolean untrusted;

    @Option(names = "--network", description = "The job needs a network (the node must allow it)")
    boolean network;

    @Option(names = "--timeout", paramLabel = "DURATION", converter = SecondsConverter.class,
            description = "Wall-time limit: seconds, or a duration such as 90s, 10m, 1h30m (default: 600)")
    Integer timeoutSeconds;

    @Option(names = "--attempts", paramLabel = "N", description = "Run the job up to N times: a failed run is tried"
            + " again after a backoff, and the last one failing leaves it DEAD (default: 1)")
    Integer attempts;

    @Option(names = "--backoff", paramLabel = "DURATION", converter = SecondsConverter.class, description = "The wait"
            + " before the first retry, doubled for each one after it, each drawn up to a tenth longer: seconds, or a"
            + " duration such as 30s (default: 1)")
    Integer backoffSeconds;

    @Option(names = "--max-backoff", paramLabel = "DURATION", converter = SecondsConverter.class,
            description = "The cap on the doubled wait, before it is drawn up to a tenth longer (default: 5m, or --backoff if longer)")
    Integer maxBackoffSeconds;

    @Option(names = "--memory", paramLabel = "SIZE", converter = MemoryConverter.class,
            description = "Memory limit: MiB, or a size such as 512m or 2g (default: 512)")
    Long memoryMb;

    @Option(names = "--cpus", description = "CPU limit, in cores (default: 1)")
    Double cpus;

    @Option(names = "--pids", description = "Limit on processes and threads (default: 256)")
    Integer pids;

    @Option(names = "--image", description = "Image to run in")
    String image;

    @Option(names = "--name", description = "A name for the job")
    String name;

    @Option(names = "--priority", description = "0 to 9, 9 most urgent (default: 5)")
    Integer priority;

    @Option(names = "--mount", paramLabel = "HOST:SANDBOX[:ro]", description = "Mount a host path (the node must allow it; repeatable)")
    List<String> mounts = new ArrayList<>();

    @Option(names = "--gpus", description = "GPUs the job needs (default: 0)")
    Integer gpus;

    @Option(names = {"-e", "--env"}, paramLabel = "NAME=VALUE", description = "Environment variable NAME=VALUE (repeatable)")
    List<String> env = new ArrayList<>();

    @Option(names = "--node-selector", paramLabel = "KEY=VALUE", description = "Run only on a node with this label"
            + " (hangar agent --label), e.g. gpu-model=a100 (repeatable: every one must match)")
    List<String> nodeSelector = new ArrayList<>();

    @Option(names = "--idempotency-key", paramLabel = "KEY", description = "Make the job once: given again with the same"
            + " spec, the server answers with the job made first (run follows it; -d prints its id)")
    String idempotencyKey;

    /** The flag that sets each spec field, so that an error about the field can name what the user typed. */
    static final Map<String, String> FLAGS = Map.ofEntries(Map.entry("runtime", "--runtime"),
            Map.entry("profile.trust", "--untrusted"), Map.entry("profile.needs.network", "--network"),
            Map.entry("timeoutSeconds", "--timeout"), Map.entry("resources.memoryMb", "--memory"),
            Map.entry("resources.cpus", "--cpus"), Map.entry("resources.pids", "--pids"), Map.entry("image", "--image"),
            Map.entry("name", "--name"), Map.entry("priority", "--priority"), Map.entry("resources.gpus", "--gpus"),
            Map.entry("stdin", "--stdin"), Map.entry("idempotencyKey", "--idempotency-key"),
            Map.entry("retry.maxAttempts", "--attempts"), Map.entry("retry.backoffSeconds", "--backoff"),
            Map.entry("retry.maxBackoffSeconds", "--max-backoff"));

    /** "field: reason", with the flag that sets the field where there is one, e.g. "resources.memoryMb (--memory): ...". */
    static String describe(String field, String reason) {
        String flag = FLAGS.get(field);
        if (flag == null && field.startsWith("env.")) {
            flag = "-e";
        } else if (flag == null && field.startsWith("mounts[")) {
            flag = "--mount";
        } else if (flag == null && field.startsWith("nodeSelector")) {
            flag = "--node-selector";
        }
        return field + (flag == null ? "" : " (" + flag + ")") + ": " + reason;
    }

    JobSpec toSpec(List<String> command, String stdin) {
        var needs = new Needs(null, null, null, network ? true : null);
        var profile = new WorkloadProfile(untrusted ? Trust.UNTRUSTED : Trust.TRUSTED, needs, null, null);
        var builder = JobSpec.builder()
                .name(name)
                .command(command)
                .stdin(stdin)
                .image(image)
                .runtime(runtime)
                .profile(profile)
                .resources(new Resources(cpus, memoryMb, pids, null, gpus, null))
                .mounts(mounts.stream().map(JobSpecOptions::mount).toList())
                .timeoutSeconds(timeoutSeconds)
                .retry(retry())
                .priority(priority)
                .idempotencyKey(idempotencyKey)
                .nodeSelector(NodeLabels.parseAll("--node-selector", nodeSelector));
        environment().forEach(builder::env);
        return builder.build();
    }

    /** The retry flags as a policy; none given, the server's default (one attempt). */
    private RetryPolicy retry() {
        if (attempts == null && backoffSeconds == null && maxBackoffSeconds == null) {
            return null;
        }
        if ((attempts == null || attempts == 1) && (backoffSeconds != null || maxBackoffSeconds != null)) {
            // why refused: a backoff the job never waits is a retry the user thinks was asked for
            throw new IllegalArgumentException((backoffSeconds != null ? "--backoff" : "--max-backoff")
                    + ": a job retries only with --attempts 2 or more");
        }
        return new RetryPolicy(attempts, seconds(backoffSeconds), seconds(maxBackoffSeconds));
    }

    private static Double seconds(Integer value) {
        return value == null ? null : value.doubleValue();
    }

    private static Mount mount(String value) {
        String[] parts = value.split(":");
        if (parts.length < 2 || parts.length > 3 || (parts.length == 3 && !parts[2].equals("ro") && !parts[2].equals("rw"))) {
            throw new IllegalArgumentException("--mount: expected HOST:SANDBOX or HOST:SANDBOX:ro, got '" + value + "'");
        }
        return new Mount(parts[0], parts[1], parts.length == 3 && parts[2].equals("ro"));
    }

    /** -e NAME=VALUE, each name once: a second value would silently win. */
    private Map<String, String> environment() {
        Map<String, String> values = new LinkedHashMap<>();
        for (String item : env) {
            int eq = item.indexOf('=');
            if (eq <= 0) {
                throw new IllegalArgumentException("-e/--env: '" + item + "' is not NAME=VALUE");
            }
            if (values.put(item.substring(0, eq), item.substring(eq + 1)) != null) {
                throw new IllegalArgumentException("-e/--env: " + item.substring(0, eq) + " is given twice");
            }
        }
        return values;
    }

    /**
     * What is wrong with the spec on a node of this host, checked before one is started here for it
     * (that starts runtime services and makes images): which runtimes and images it has, it checks itself.
     */
    static void checkOnThisHost(JobSpec spec, dev.hangar.agent.AgentConfig node) {
        checkOnThisHost(spec, node, true);
    }

    /** As above; {@code fromFlags}: the spec was made from flags, so each fault names its flag too (not so a file's). */
    static void checkOnThisHost(JobSpec spec, dev.hangar.agent.AgentConfig node, boolean fromFlags) {
        if (!spec.nodeSelector().isEmpty()) {
            // why not matched against this node's (none): the selector was meant for a server's nodes
            throw new IllegalArgumentException("nodeSelector" + (fromFlags ? " (--node-selector)" : "")
                    + ": no server answers to choose a node by its"
                    + " labels, and here the job would run on this host; start a server or name one with --url, or leave"
                    + " the selector out");
        }
        var limits = dev.hangar.core.job.SpecLimits.forNode(Runtime.getRuntime().availableProcessors(), node.memoryMb(),
                node.gpus().size(), dev.hangar.core.job.SpecLimits.RUNTIME_NAMES)
                .withMounts(node.mounts())
                .withNetworkAllowed(node.networkAllowed());
        var errors = new dev.hangar.core.job.JobSpecValidator(limits).errors(spec);
        if (!errors.isEmpty()) {
            throw new IllegalArgumentException("invalid job spec" + errors.stream().map(error -> "\n  "
                    + (fromFlags ? describe(error.field(), error.reason()) : error.field() + ": " + error.reason()))
                    .collect(java.util.stream.Collectors.joining()));
        }
    }
}
