package dev.hangar.queue.testkit;

import dev.hangar.core.job.JobSpec;
import dev.hangar.core.job.JobSpecBuilder;
import dev.hangar.core.job.Needs;
import dev.hangar.core.job.Resources;
import dev.hangar.core.job.RetryPolicy;
import dev.hangar.core.job.Trust;
import dev.hangar.core.job.WorkloadProfile;
import dev.hangar.core.queue.LeaseRequest;
import dev.hangar.core.select.Rejection;
import dev.hangar.core.select.Selection;
import java.time.Duration;
import java.util.List;
import java.util.Set;

/** Test data for queue tests: specs, workers asking for work, runtime selections. */
public final class TestJobs {
    /** How long {@link #worker(String)} holds a lease before it must renew. */
    public static final Duration LEASE = Duration.ofSeconds(30);

    private TestJobs() {}

    /** A plain valid spec to adjust. */
    public static JobSpecBuilder spec() {
        return JobSpec.builder().command("echo", "hello");
    }

    public static JobSpec spec(String name) {
        return spec().name(name).build();
    }

    public static JobSpec spec(String name, int priority) {
        return spec().name(name).priority(priority).build();
    }

    /** A spec with every field set to a value other than its default, to catch fields a store drops. */
    public static JobSpec everyField() {
        return JobSpec.builder()
                .name("every-field")
                .command("sh", "-c", "printf '%s' \"$GREETING\"; cat", "arg with spaces", "")
                .env("GREETING", "héllo wörld ✓ 🚀")
                .env("EMPTY", "")
                .env("MULTI", "line1\nline2\ttabbed \"quoted\" back\\slash")
                .stdin("first line\nzweite Zeile: ü\n{\"json\": [1, 2]}\n")
                .image("python:3.12-slim")
                .runtime("gvisor")
                .profile(new WorkloadProfile(Trust.UNTRUSTED, new Needs(true, false, false, true), 250, 4))
                .resources(new Resources(1.5, 2048L, 64, 4096L, 1, 1_048_576L))
                .timeoutSeconds(120)
                .retry(new RetryPolicy(4, 0.5, 30.0))
                .priority(7)
                .idempotencyKey("order-42:v1")
                .build();
    }

    public static RetryPolicy retries(int maxAttempts, double backoffSeconds) {
        return new RetryPolicy(maxAttempts, backoffSeconds, null);
    }

    public static Resources resources(double cpus, long memoryMb, int gpus) {
        return new Resources(cpus, memoryMb, null, null, gpus, null);
    }

    /** A worker with room for anything the other helpers make, holding leases for {@link #LEASE}. */
    public static LeaseRequest worker(String workerId) {
        return new LeaseRequest(workerId, LEASE, 64, 256 * 1024, 8);
    }

    public static LeaseRequest worker(String workerId, Duration leaseFor) {
        return new LeaseRequest(workerId, leaseFor, 64, 256 * 1024, 8);
    }

    /** A worker with only this much room left. */
    public static LeaseRequest worker(String workerId, double freeCpus, long freeMemoryMb, int freeGpus) {
        return new LeaseRequest(workerId, LEASE, freeCpus, freeMemoryMb, freeGpus);
    }

    /** A worker with room for anything that has only these runtimes. */
    public static LeaseRequest worker(String workerId, Set<String> runtimes, Set<String> kernelBoundaryRuntimes) {
        return new LeaseRequest(workerId, LEASE, 64, 256 * 1024, 8, runtimes, kernelBoundaryRuntimes);
    }

    public static Selection selection(String runtime) {
        return new Selection(runtime, "the lightest runtime that isolates enough",
                List.of(new Rejection("firecracker", "needs-kvm", "no /dev/kvm on this node"),
                        new Rejection("gvisor", "gpu", "cannot pass a GPU through")));
    }
}
