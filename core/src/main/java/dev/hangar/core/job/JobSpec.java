package dev.hangar.core.job;

import com.fasterxml.jackson.annotation.JsonInclude;
import java.util.List;
import java.util.Map;
import dev.hangar.core.runtime.Mount;

/**
 * What a submitter asks for: the document accepted by {@code POST /v1/jobs}, {@code hangar submit}
 * and the queue's wire format. Absent optional parts take defaults; {@link JobSpecValidator} says
 * what is wrong with a spec before anything is stored.
 *
 * <p>{@code tenant}: whose job it is. A server with API tokens sets it from the caller's token; a
 * job without one belongs to no tenant (a server without tokens, or a producer writing to the
 * queue directly) and is seen only by callers that see every job.
 *
 * <p>{@code nodeSelector}: the node labels the job asks for ({@link NodeLabels}); it runs only on a
 * node that has each of them with that value. Left out of the JSON when empty.
 */
public record JobSpec(
        String name,
        List<String> command,
        Map<String, String> env,
        String stdin,
        String image,
        String runtime,
        WorkloadProfile profile,
        Resources resources,
        Integer timeoutSeconds,
        RetryPolicy retry,
        Integer priority,
        String idempotencyKey,
        List<Mount> mounts,
        @JsonInclude(JsonInclude.Include.NON_EMPTY) Map<String, String> nodeSelector,
        String tenant) {

    public static final int DEFAULT_TIMEOUT_SECONDS = 600;
    public static final int DEFAULT_PRIORITY = 5;

    public JobSpec {
        // copies that keep a null item, so that the validator names it instead of a copy failing
        command = command == null ? List.of() : java.util.Collections.unmodifiableList(new java.util.ArrayList<>(command));
        env = env == null ? Map.of() : java.util.Collections.unmodifiableMap(new java.util.LinkedHashMap<>(env));
        profile = profile == null ? WorkloadProfile.defaults() : profile;
        resources = resources == null ? Resources.defaults() : resources;
        timeoutSeconds = timeoutSeconds == null ? DEFAULT_TIMEOUT_SECONDS : timeoutSeconds;
        retry = retry == null ? RetryPolicy.none() : retry;
        priority = priority == null ? DEFAULT_PRIORITY : priority;
        mounts = mounts == null ? List.of() : java.util.Collections.unmodifiableList(new java.util.ArrayList<>(mounts));
        nodeSelector = nodeSelector == null ? Map.of()
                : java.util.Collections.unmodifiableMap(new java.util.LinkedHashMap<>(nodeSelector));
    }

    public static JobSpec of(String... command) {
        return builder().command(command).build();
    }

    public static JobSpecBuilder builder() {
        return new JobSpecBuilder();
    }

    public JobSpecBuilder toBuilder() {
        return new JobSpecBuilder(this);
    }

    /**
     * The key under which the stores keep the idempotency key: a tenant's keys are its own, so two
     * tenants using the same key make two jobs. {@code #} is in neither a key nor a tenant's name
     * (see {@link JobSpecValidator}), so no tenant's scoped key equals another's, or an unscoped one.
     */
    public String idempotencyScope() {
        if (idempotencyKey == null) {
            return null;
        }
        return tenant == null ? idempotencyKey : tenant + "#" + idempotencyKey;
    }

    public boolean needsGpu() {
        return profile.needs().gpu() || resources.gpus() > 0;
    }

    /** The field that asks for the job's GPUs, as an error about them names it: a count, or only the profile's need. */
    public String gpuField() {
        return resources.gpus() > 0 ? "resources.gpus" : "profile.needs.gpu";
    }

    /** The GPUs the job takes on its node: those it counts, and at least one if it says it needs a GPU. */
    public int gpusWanted() {
        return needsGpu() ? Math.max(1, resources.gpus()) : 0;
    }
}
