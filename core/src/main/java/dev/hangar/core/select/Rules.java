package dev.hangar.core.select;

import dev.hangar.core.job.JobSpec;
import dev.hangar.core.runtime.Isolation;
import dev.hangar.core.runtime.NetworkMode;
import dev.hangar.core.runtime.RuntimeStatus;
import dev.hangar.core.runtime.Threading;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Optional;

/** The selection rules of the product brief, one small class each. */
public final class Rules {
    private Rules() {}

    public static List<SelectionRule> all() {
        return List.of(new Available(), new UntrustedNeedsKernelBoundary(), new GpuNeedsPassthrough(),
                new ForkNeedsFork(), new FullSyscallsNeedFullKernel(), new NetworkNeedsPermission(),
                new MemoryAboveFloor(), new ThreadsNeedParallelCores());
    }

    /** The job spec's field that each rule weighs, by the rule's name, as a refusal names it (GPUs: see fieldOf). */
    private static final Map<String, String> FIELDS = Map.of(
            "untrusted-needs-kernel-boundary", "profile.trust",
            "fork-needs-fork", "profile.needs.fork",
            "full-syscalls-need-linux", "profile.needs.fullSyscalls",
            "network-needs-permission", "profile.needs.network",
            "memory-above-floor", "resources.memoryMb",
            "threads-need-parallel-cores", "profile.threads");

    /**
     * The field to name for a refused selection of this job: the one the rule weighs when every
     * runtime the job may run on, and that runs here, broke the same rule, else {@code runtime}.
     */
    public static String fieldOf(JobSpec spec, Selection refused) {
        var rules = new HashSet<String>();
        refused.rejected().forEach(rejection -> rules.add(rejection.rule()));
        rules.remove(RuntimeSelector.PINNED); // the others, left out by the job's pin: not what refused it
        if (rules.size() > 1) {
            rules.remove(Available.NAME); // a runtime that does not run here says nothing of the job's fields
        }
        if (rules.size() != 1) {
            return "runtime";
        }
        String rule = rules.iterator().next();
        return rule.equals(GpuNeedsPassthrough.NAME) ? spec.gpuField() : FIELDS.getOrDefault(rule, "runtime");
    }

    private static Optional<String> when(boolean broken, String reason) {
        return broken ? Optional.of(reason) : Optional.empty();
    }

    /**
     * Only a runtime whose probe ran a trial sandbox on this node may run jobs; {@link #orBenched()}
     * also lets one through that is benched for a while, for a check that a job may wait for it.
     */
    public static final class Available implements SelectionRule {
        static final String NAME = "runtime-available";
        private final boolean benchedCounts;

        public Available() {
            this(false);
        }

        private Available(boolean benchedCounts) {
            this.benchedCounts = benchedCounts;
        }

        /** As this rule, but a runtime benched for a while (its probe passed) counts as available. */
        public static Available orBenched() {
            return new Available(true);
        }

        @Override
        public String name() {
            return NAME;
        }

        @Override
        public Optional<String> violation(JobSpec job, RuntimeStatus runtime, NodePolicy node) {
            boolean usable = runtime.probe().available() || (benchedCounts && runtime.probe().benched());
            return when(!usable, "unavailable on this node: " + runtime.probe().reason());
        }
    }

    /** Untrusted code never runs on process or container isolation, only behind a kernel boundary. */
    public static final class UntrustedNeedsKernelBoundary implements SelectionRule {
        @Override
        public String name() {
            return "untrusted-needs-kernel-boundary";
        }

        @Override
        public Optional<String> violation(JobSpec job, RuntimeStatus runtime, NodePolicy node) {
            Isolation isolation = runtime.capabilities().isolation();
            return when(job.profile().untrusted() && !isolation.atLeast(Isolation.SOFTWARE_KERNEL),
                    "untrusted code needs hardware (microVM) or software-kernel (gVisor) isolation; this runtime gives "
                            + Ranking.isolationName(isolation) + " isolation");
        }
    }

    /** GPU jobs go to runtimes that pass devices through, on nodes with enough GPUs. */
    public static final class GpuNeedsPassthrough implements SelectionRule {
        static final String NAME = "gpu-needs-passthrough";

        @Override
        public String name() {
            return NAME;
        }

        @Override
        public Optional<String> violation(JobSpec job, RuntimeStatus runtime, NodePolicy node) {
            if (!job.needsGpu()) {
                return Optional.empty();
            }
            if (!runtime.capabilities().gpu()) {
                return Optional.of("cannot pass GPUs through to its sandboxes");
            }
            int wanted = Math.max(1, job.resources().gpus());
            return when(node.gpus() < wanted, "this node has " + node.gpus() + " GPU(s); the job needs " + wanted);
        }
    }

    /** Jobs that fork never go to runtimes without fork (unikernels). */
    public static final class ForkNeedsFork implements SelectionRule {
        @Override
        public String name() {
            return "fork-needs-fork";
        }

        @Override
        public Optional<String> violation(JobSpec job, RuntimeStatus runtime, NodePolicy node) {
            return when(job.profile().needs().fork() && !runtime.capabilities().fork(),
                    "has no fork(); the job needs it (set profile.needs.fork=false if it does not)");
        }
    }

    /** Jobs that need the full Linux syscall surface never go to library OSes. */
    public static final class FullSyscallsNeedFullKernel implements SelectionRule {
        @Override
        public String name() {
            return "full-syscalls-need-linux";
        }

        @Override
        public Optional<String> violation(JobSpec job, RuntimeStatus runtime, NodePolicy node) {
            return when(job.profile().needs().fullSyscalls() && !runtime.capabilities().fullSyscalls(),
                    "implements only part of the Linux syscalls; the job needs all (profile.needs.fullSyscalls)");
        }
    }

    /** Sandboxes get a network only when the job asks and the node allows it; untrusted ones never the host's. */
    public static final class NetworkNeedsPermission implements SelectionRule {
        @Override
        public String name() {
            return "network-needs-permission";
        }

        @Override
        public Optional<String> violation(JobSpec job, RuntimeStatus runtime, NodePolicy node) {
            if (!job.profile().needs().network()) {
                return Optional.empty();
            }
            if (!node.networkAllowed()) {
                return Optional.of("this node does not allow sandboxes a network (start it with --allow-network)");
            }
            if (!runtime.capabilities().givesNetwork()) {
                return Optional.of("cannot give its sandboxes a network");
            }
            return when(!runtime.capabilities().supports(NetworkMode.of(job.profile(), runtime.capabilities())),
                    "gives a sandbox only the host's network, whose loopback reaches this node's own services;"
                            + " untrusted code is given only a network of its own");
        }
    }

    /** A VM or unikernel cannot run with less memory than its floor. */
    public static final class MemoryAboveFloor implements SelectionRule {
        @Override
        public String name() {
            return "memory-above-floor";
        }

        @Override
        public Optional<String> violation(JobSpec job, RuntimeStatus runtime, NodePolicy node) {
            long floor = runtime.capabilities().memoryFloorMb();
            return when(job.resources().memoryMb() < floor,
                    "needs at least " + floor + " MiB; the job asks for " + job.resources().memoryMb() + " MiB");
        }
    }

    /** A job that runs several threads never goes to a runtime that runs one thread at a time (some unikernels). */
    public static final class ThreadsNeedParallelCores implements SelectionRule {
        @Override
        public String name() {
            return "threads-need-parallel-cores";
        }

        @Override
        public Optional<String> violation(JobSpec job, RuntimeStatus runtime, NodePolicy node) {
            Integer threads = job.profile().threads();
            return when(threads != null && threads > 1 && runtime.capabilities().threading() == Threading.LIMITED,
                    "runs one thread at a time; the job runs " + threads + " (profile.threads)");
        }
    }
}
