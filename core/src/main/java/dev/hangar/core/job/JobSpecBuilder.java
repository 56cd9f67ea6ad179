package dev.hangar.core.job;

import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import dev.hangar.core.runtime.Mount;

/** Fluent construction of a {@link JobSpec} for the CLI, the client and tests. */
public final class JobSpecBuilder {
    private String name;
    private List<String> command = List.of();
    private Map<String, String> env = new LinkedHashMap<>();
    private String stdin;
    private String image;
    private String runtime;
    private WorkloadProfile profile;
    private Resources resources;
    private Integer timeoutSeconds;
    private RetryPolicy retry;
    private Integer priority;
    private String idempotencyKey;
    private List<Mount> mounts = List.of();
    private Map<String, String> nodeSelector = new LinkedHashMap<>();
    private String tenant;

    JobSpecBuilder() {}

    JobSpecBuilder(JobSpec spec) {
        name = spec.name();
        command = spec.command();
        env = new LinkedHashMap<>(spec.env());
        stdin = spec.stdin();
        image = spec.image();
        runtime = spec.runtime();
        profile = spec.profile();
        resources = spec.resources();
        timeoutSeconds = spec.timeoutSeconds();
        retry = spec.retry();
        priority = spec.priority();
        idempotencyKey = spec.idempotencyKey();
        mounts = spec.mounts();
        nodeSelector = new LinkedHashMap<>(spec.nodeSelector());
        tenant = spec.tenant();
    }

    public JobSpecBuilder name(String value) { name = value; return this; }
    public JobSpecBuilder command(String... value) { command = List.of(value); return this; }
    public JobSpecBuilder command(List<String> value) { command = value; return this; }
    public JobSpecBuilder env(String key, String value) { env.put(key, value); return this; }
    public JobSpecBuilder stdin(String value) { stdin = value; return this; }
    public JobSpecBuilder image(String value) { image = value; return this; }
    public JobSpecBuilder runtime(String value) { runtime = value; return this; }
    public JobSpecBuilder profile(WorkloadProfile value) { profile = value; return this; }
    public JobSpecBuilder untrusted() { profile = new WorkloadProfile(Trust.UNTRUSTED, profileOrDefault().needs(), profileOrDefault().latencyBudgetMs(), profileOrDefault().threads()); return this; }
    public JobSpecBuilder resources(Resources value) { resources = value; return this; }
    public JobSpecBuilder timeoutSeconds(Integer value) { timeoutSeconds = value; return this; }
    public JobSpecBuilder retry(RetryPolicy value) { retry = value; return this; }
    public JobSpecBuilder priority(Integer value) { priority = value; return this; }
    public JobSpecBuilder idempotencyKey(String value) { idempotencyKey = value; return this; }
    public JobSpecBuilder mounts(List<Mount> value) { mounts = value; return this; }
    public JobSpecBuilder nodeSelector(Map<String, String> value) { nodeSelector = value == null ? new LinkedHashMap<>() : new LinkedHashMap<>(value); return this; }
    public JobSpecBuilder nodeSelector(String key, String value) { nodeSelector.put(key, value); return this; }
    public JobSpecBuilder tenant(String value) { tenant = value; return this; }

    private WorkloadProfile profileOrDefault() {
        return profile == null ? WorkloadProfile.defaults() : profile;
    }

    public JobSpec build() {
        return new JobSpec(name, command, env, stdin, image, runtime, profile, resources, timeoutSeconds, retry,
                priority, idempotencyKey, mounts, nodeSelector, tenant);
    }
}
