package dev.hangar.core.job;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.time.Duration;
import java.util.List;
import java.util.Set;
import org.junit.jupiter.api.Test;

class JobSpecValidatorTest {
    private final JobSpecValidator validator = new JobSpecValidator(SpecLimits.forNode(2, 4096, 0, Set.of("process")));

    private List<String> fields(JobSpec spec) {
        return validator.errors(spec).stream().map(FieldError::field).toList();
    }

    @Test
    void aMinimalSpecIsValidAndTakesDefaults() {
        JobSpec spec = validator.validate(JobSpec.of("echo", "hi"));
        assertThat(spec.resources().memoryMb()).isEqualTo(Resources.DEFAULT_MEMORY_MB);
        assertThat(spec.timeoutSeconds()).isEqualTo(JobSpec.DEFAULT_TIMEOUT_SECONDS);
        assertThat(spec.retry().maxAttempts()).isEqualTo(1);
        assertThat(spec.profile().trust()).isEqualTo(Trust.TRUSTED);
    }

    @Test
    void aNodeSelectorOfLabelsNoLabelCanBeIsRefusedNamingTheLabel() {
        var selector = new java.util.LinkedHashMap<String, String>();
        selector.put("gpu-model", "a100");
        selector.put("zone", "eu west");
        selector.put("-bad", "x");
        selector.put("rack", null);
        var spec = JobSpec.builder().command("x").nodeSelector(selector).build();
        assertThat(validator.errors(spec)).extracting(FieldError::field, FieldError::reason).containsExactly(
                org.assertj.core.groups.Tuple.tuple("nodeSelector.zone", NodeLabels.VALUE_RULE + ", got 'eu west'"),
                org.assertj.core.groups.Tuple.tuple("nodeSelector", NodeLabels.KEY_RULE + ", got '-bad'"),
                org.assertj.core.groups.Tuple.tuple("nodeSelector.rack", NodeLabels.VALUE_RULE + ", got null"));
        assertThat(validator.errors(JobSpec.builder().command("x").nodeSelector("gpu-model", "a100").build()))
                .as("where no node has said what labels it has").isEmpty();
    }

    @Test
    void aNodeSelectorThatNoNodePicksIsRefusedNamingWhatTheNodesHave() {
        var nodes = new JobSpecValidator(SpecLimits.forNode(2, 4096, 0, Set.of("process")).withNodeLabels(List.of(
                java.util.Map.of("gpu-model", "a100", "zone", "r1"), java.util.Map.of("gpu-model", "l4"), java.util.Map.of())));
        assertThat(nodes.errors(JobSpec.builder().command("x").nodeSelector("gpu-model", "l4").build())).isEmpty();
        assertThat(nodes.errors(JobSpec.builder().command("x").nodeSelector("gpu-model", "h100")
                .nodeSelector("rack", "7").build())).containsExactly(
                new FieldError("nodeSelector.gpu-model", "no node has gpu-model=h100; nodes have gpu-model=a100, l4"),
                new FieldError("nodeSelector.rack", "no node has the label 'rack'; nodes' labels: gpu-model, zone"));
        var bare = new JobSpecValidator(SpecLimits.forNode(2, 4096, 0, Set.of("process"))
                .withNodeLabels(List.of(java.util.Map.of(), java.util.Map.of())));
        assertThat(bare.errors(JobSpec.builder().command("x").nodeSelector("zone", "r1").build()))
                .extracting(FieldError::reason).containsExactly("no node has the label 'zone' (no node has labels; a node"
                        + " is given them with --label KEY=VALUE on hangar agent or hangar up)");
        var one = new JobSpecValidator(SpecLimits.forNode(2, 4096, 0, Set.of("process"))
                .withNodeLabels(List.of(java.util.Map.of("zone", "r2"))));
        assertThat(one.errors(JobSpec.builder().command("x").nodeSelector("zone", "r1").nodeSelector("rack", "7").build()))
                .as("one node's labels, as a submit to one node or the nearest fit of a cluster names them")
                .extracting(FieldError::reason).containsExactly("the node has no label 'rack'; its labels: zone",
                        "the node has zone=r2, not r1");
    }

    @Test
    void anEmptyCommandIsRefused() {
        assertThat(fields(JobSpec.builder().build())).containsExactly("command");
        assertThat(fields(JobSpec.of(""))).containsExactly("command[0]");
        assertThat(fields(JobSpec.builder().command(java.util.Arrays.asList((String) null)).build()))
                .as("named once, not also as no program").containsExactly("command[0]");
    }

    @Test
    void negativeAndAbsurdResourcesNameTheirField() {
        var spec = JobSpec.builder().command("x").resources(new Resources(1e6, -5L, 0, null, 3, -1L)).build();
        assertThat(fields(spec)).containsExactly("resources.cpus", "resources.memoryMb", "resources.pids",
                "resources.gpus", "resources.outputBytes");
        assertThat(validator.errors(spec)).filteredOn(e -> e.field().equals("resources.gpus"))
                .extracting(FieldError::reason).containsExactly("the job needs a GPU, and no node here offers one "
                        + "(none found with nvidia-smi or /dev/nvidia*, or its --gpus gives none)");
    }

    @Test
    void aSpecOfManyBadEntriesGetsABoundedListOfErrorsThatStillNamesTheOtherFields() {
        var command = new java.util.ArrayList<String>(List.of("x"));
        for (int i = 0; i < 1_000; i++) {
            command.add("\0");
        }
        var builder = JobSpec.builder().command(command).priority(99);
        for (int i = 0; i < 100_000; i++) {
            builder.env("-" + i, "");
        }
        var spec = builder.build();
        List<FieldError> errors = validator.errors(spec);
        assertThat(errors).hasSizeLessThan(2 * JobSpecValidator.MAX_ITEM_ERRORS + 10);
        assertThat(errors).extracting(FieldError::field).contains("env", "command", "priority");
        assertThat(errors).extracting(FieldError::reason).contains("has more bad entries than the 20 named",
                "has more bad arguments than the 20 named");
    }

    @Test
    void aNullArgumentOrEnvValueIsNamedNotAFailedCopy() {
        var env = new java.util.HashMap<String, String>();
        env.put("A", null);
        env.put(null, "x");
        var spec = new JobSpec(null, java.util.Arrays.asList("echo", null), env, null, null, null, null, null, null, null,
                null, null, null, null, null);
        assertThat(fields(spec)).containsExactlyInAnyOrder("command[1]", "env.A", "env");
    }

    @Test
    void textThatUtf8CannotCarryIsRefusedNotChanged() {
        var spec = JobSpec.builder().command("echo", "a\ud800b", "\ud83d\ude00").env("A", "\udc00")
                .stdin("x\udbff").build();
        assertThat(fields(spec)).containsExactlyInAnyOrder("command[1]", "env.A", "stdin");
    }

    @Test
    void aGpuAskedForOnlyInTheProfileIsBlamedOnTheProfile() {
        var spec = JobSpec.builder().command("x").profile(new WorkloadProfile(Trust.TRUSTED,
                new Needs(true, null, null, null), null, null)).build();
        assertThat(fields(spec)).containsExactly("profile.needs.gpu");
    }

    @Test
    void aNetworkOnANodeThatGivesNoneIsRefusedAndTakenOnTheJobsWordElsewhere() {
        var spec = JobSpec.builder().command("x").profile(new WorkloadProfile(Trust.TRUSTED,
                new Needs(null, null, null, true), null, null)).build();
        var closed = new JobSpecValidator(SpecLimits.forNode(2, 4096, 0, Set.of("process")).withNetworkAllowed(false));
        assertThat(closed.errors(spec)).extracting(FieldError::field).containsExactly("profile.needs.network");
        assertThat(fields(spec)).isEmpty();
    }

    @Test
    void lessCpuThanACgroupQuotaCanHoldIsRefusedNotRaised() {
        var tiny = JobSpec.builder().command("x").resources(new Resources(0.0001, null, null, null, null, null)).build();
        var least = JobSpec.builder().command("x").resources(new Resources(Resources.MIN_CPUS, null, null, null, null, null)).build();
        assertThat(fields(tiny)).containsExactly("resources.cpus");
        assertThat(fields(least)).isEmpty();
    }

    @Test
    void nanCpusAreRefused() {
        var spec = JobSpec.builder().command("x").resources(new Resources(Double.NaN, null, null, null, null, null)).build();
        assertThat(fields(spec)).containsExactly("resources.cpus");
    }

    @Test
    void anUnknownRuntimeNamesTheKnownOnes() {
        assertThatThrownBy(() -> validator.validate(JobSpec.builder().command("x").runtime("firecracker").build()))
                .isInstanceOf(InvalidSpecException.class)
                .hasMessageContaining("runtime: unknown runtime 'firecracker' (no node that is up has it); known: process");
    }

    @Test
    void badEnvNamesAndOversizedStdinAreRefused() {
        var spec = JobSpec.builder().command("x").env("A=B", "v").env("OK", "v").stdin("x".repeat(SpecLimits.MAX_STDIN_BYTES + 1)).build();
        assertThat(fields(spec)).containsExactlyInAnyOrder("env.A=B", "stdin");
    }

    @Test
    void timeoutsPrioritiesAndRetriesAreBounded() {
        var spec = JobSpec.builder().command("x").timeoutSeconds(0).priority(10)
                .retry(new RetryPolicy(0, -1.0, null)).build();
        assertThat(fields(spec)).containsExactly("timeoutSeconds", "priority", "retry.maxAttempts", "retry.backoffSeconds");
    }

    @Test
    void aBackoffAboveItsCapIsRefusedAndOneAboveTheDefaultCapRaisesIt() {
        var capped = JobSpec.builder().command("x").retry(new RetryPolicy(3, 600.0, 300.0)).build();
        assertThat(validator.errors(capped)).singleElement().satisfies(error -> {
            assertThat(error.field()).isEqualTo("retry.maxBackoffSeconds");
            assertThat(error.reason()).contains("at least retry.backoffSeconds (600.0)").contains("got 300.0");
        });
        var uncapped = new RetryPolicy(3, 600.0, null);
        assertThat(validator.errors(JobSpec.builder().command("x").retry(uncapped).build())).isEmpty();
        assertThat(uncapped.backoffAfter(1, 0)).as("as long as asked for").isEqualTo(Duration.ofSeconds(600));
        assertThat(uncapped.backoffAfter(2, 0)).as("and no longer: the cap not given is that first backoff")
                .isEqualTo(Duration.ofSeconds(600));
        assertThat(new RetryPolicy(3, 1.0e9, null).maxBackoffSeconds()).as("a backoff out of range leaves the cap alone")
                .isEqualTo(300.0);
    }

    @Test
    void namesAndKeysMustBePrintableTokens() {
        var spec = JobSpec.builder().command("x").name("bad name\n").idempotencyKey("k".repeat(300)).build();
        assertThat(fields(spec)).containsExactly("name", "idempotencyKey");
    }

    @Test
    void argumentsWithNulBytesAreRefused() {
        assertThat(fields(JobSpec.of("echo", "a\0b"))).containsExactly("command[1]");
    }

    @Test
    void stringsTheKernelCannotExecAreRefused() {
        var spec = JobSpec.builder().command("echo", "a".repeat(200_000)).env("BIG", "b".repeat(200_000)).build();
        assertThat(fields(spec)).containsExactlyInAnyOrder("command[1]", "env.BIG");
    }

    @Test
    void commandAndEnvTogetherAreBounded() {
        var builder = JobSpec.builder().command("echo");
        for (int i = 0; i < 12; i++) {
            builder.env("V" + i, "x".repeat(100_000));
        }
        // the env's bytes are the larger share: it, not the one-word command, is named
        assertThat(validator.errors(builder.build())).singleElement().satisfies(error -> {
            assertThat(error.field()).isEqualTo("env");
            assertThat(error.reason()).startsWith("command (5 bytes) and env (1200050 bytes) add up to 1200055 bytes");
        });
        assertThat(fields(JobSpec.builder().command("echo", "x".repeat(100_000), "x".repeat(100_000), "x".repeat(100_000),
                "x".repeat(100_000), "x".repeat(100_000), "x".repeat(100_000), "x".repeat(100_000), "x".repeat(100_000),
                "x".repeat(100_000), "x".repeat(100_000), "x".repeat(100_000)).env("A", "b").build()))
                .containsExactly("command");
    }

    @Test
    void unknownImagesAreRefusedWhenTheNodeKnowsItsImages() {
        var withImages = new JobSpecValidator(SpecLimits.forNode(2, 4096, 0, Set.of("process")).withImages(Set.of("busybox")));
        assertThat(withImages.errors(JobSpec.builder().command("x").image("busybox").build())).isEmpty();
        assertThat(withImages.errors(JobSpec.builder().command("x").image("nope").build()))
                .extracting(FieldError::field, FieldError::reason)
                .containsExactly(org.assertj.core.groups.Tuple.tuple("image",
                        "unknown image 'nope'; known: busybox (add one with 'hangar image import NAME DIR|TAR')"));
    }
}
