package dev.hangar.queue.redis;

import static dev.hangar.queue.testkit.TestJobs.resources;
import static dev.hangar.queue.testkit.TestJobs.selection;
import static dev.hangar.queue.testkit.TestJobs.spec;
import static dev.hangar.queue.testkit.TestJobs.worker;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.awaitility.Awaitility.await;

import dev.hangar.core.job.FieldError;
import dev.hangar.core.job.InvalidSpecException;
import dev.hangar.core.job.Job;
import dev.hangar.core.job.JobSpec;
import dev.hangar.core.job.NodeLabels;
import dev.hangar.core.job.JobState;
import dev.hangar.core.job.Needs;
import dev.hangar.core.job.Resources;
import dev.hangar.core.job.WorkloadProfile;
import dev.hangar.core.queue.JobPage;
import dev.hangar.core.queue.JobQuery;
import dev.hangar.core.queue.Lease;
import dev.hangar.core.queue.LeaseStatus;
import dev.hangar.core.queue.LogChunk;
import dev.hangar.core.queue.Outcome;
import dev.hangar.core.queue.QueueBackend;
import dev.hangar.core.queue.QueueBackendProvider;
import dev.hangar.core.queue.QueueException;
import dev.hangar.core.runtime.OutputSink.Stream;
import dev.hangar.queue.testkit.MutableClock;
import dev.hangar.queue.testkit.TestJobs;
import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.time.Clock;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.ServiceLoader;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.UnaryOperator;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/** What the contract cannot see: the wire format, the Redis structures, expiry, bounds and a Redis crash. */
class RedisSpecificsTest extends RedisServerTest {
    private static final AtomicInteger TESTS = new AtomicInteger();

    private final MutableClock clock = MutableClock.at("2030-01-01T00:00:00Z");
    private final List<AutoCloseable> opened = new ArrayList<>();
    private String prefix;


    @AfterEach
    void closeQueues() throws Exception {
        for (AutoCloseable queue : opened) {
            queue.close();
        }
    }

    /** A queue under a prefix of its own, with these extra location parameters (or none). */
    private RedisQueueBackend open(RedisServerProcess server, String params, Clock clock) {
        prefix = "specifics-" + TESTS.incrementAndGet();
        RedisQueueBackend queue = RedisQueueBackend.open(
                server.uri("prefix=" + prefix + (params == null ? "" : "&" + params)), clock);
        opened.add(queue);
        return queue;
    }

    private RedisQueueBackend open() {
        return open(redis, null, clock);
    }

    private String key(String name) {
        return "{" + prefix + "}:" + name;
    }

    /** XADDs these names and values to the submit stream through a client: redis-cli's command line takes no megabytes. */
    private String xadd(String... fields) {
        var client = io.lettuce.core.RedisClient.create(redis.uri().toString());
        try (var connection = client.connect()) {
            return connection.sync().xadd(key("submit"), (Object[]) fields);
        } finally {
            client.shutdown();
        }
    }

    /** The queue flowed on: the one job taken in runs this command, and the submit stream is empty. */
    private void assertTheOneJobTakenInIs(RedisQueueBackend queue, String... command) {
        assertThat(queue.list(JobQuery.all(10)).jobs()).singleElement()
                .satisfies(job -> assertThat(job.spec().command()).containsExactly(command));
        assertThat(redis.cli("XLEN", key("submit"))).isEqualTo("0");
    }

    private static List<String> lines(String cliOutput) {
        return cliOutput.isBlank() ? List.of() : List.of(cliOutput.split("\n"));
    }

    // ---- the wire format ---------------------------------------------------------------------

    @Test
    void anEntryXaddedWithRedisCliBecomesAQueuedJob() {
        RedisQueueBackend queue = open();
        redis.cli("XADD", key("submit"), "*", "command", "[\"echo\",\"hi\"]", "image", "busybox", "priority", "7",
                "name", "from-cli", "env", "{\"GREETING\":\"hallo\"}", "resources", "{\"cpus\":0.5,\"memoryMb\":64}",
                "timeoutSeconds", "30", "idempotencyKey", "order-1");

        assertThat(queue.intake(10)).isEqualTo(1);

        Job job = queue.list(JobQuery.all(10)).jobs().getFirst();
        assertThat(job.state()).isEqualTo(JobState.QUEUED);
        assertThat(job.spec()).isEqualTo(JobSpec.builder().name("from-cli").command("echo", "hi").image("busybox")
                .priority(7).env("GREETING", "hallo").resources(new Resources(0.5, 64L, null, null, null, null))
                .timeoutSeconds(30).idempotencyKey("order-1").build());
        assertThat(redis.cli("XLEN", key("submit"))).as("taken off the submit stream").isEqualTo("0");
        assertThat(queue.intake(10)).isZero();
        assertThat(queue.lease(worker("w1")).orElseThrow().jobId()).isEqualTo(job.id());
    }

    @Test
    void anEntryXaddedWithANodeSelectorIsLeasedOnlyToANodeWithItsLabelsAndABadOneIsSetAside() {
        RedisQueueBackend queue = open();
        redis.cli("XADD", key("submit"), "*", "command", "[\"nvidia-smi\"]", "nodeSelector", "{\"gpu-model\":\"a100\"}");
        String array = redis.cli("XADD", key("submit"), "*", "command", "[\"true\"]", "nodeSelector", "[\"gpu-model=a100\"]");
        String badValue = redis.cli("XADD", key("submit"), "*", "command", "[\"true\"]", "nodeSelector", "{\"zone\":\"r 1\"}");

        assertThat(queue.intake(10)).isEqualTo(3);

        Job job = queue.list(JobQuery.all(10)).jobs().getFirst();
        assertThat(job.spec().nodeSelector()).isEqualTo(Map.of("gpu-model", "a100"));
        assertThat(redis.cli("HGET", key("job:" + job.id()), "sel")).isEqualTo("gpu-model=a100");
        assertThat(redis.cli("ZRANGE", key("ready:sel:gpu-model=a100"), "0", "-1")).isEqualTo(job.id());
        assertThat(redis.cli("SMEMBERS", key("selectors"))).isEqualTo("sel:gpu-model=a100");
        assertThat(queue.lease(worker("w1").labelled(Map.of("gpu-model", "l4")))).isEmpty();
        assertThat(queue.lease(worker("w2").labelled(Map.of("gpu-model", "a100"))).orElseThrow().jobId()).isEqualTo(job.id());
        List<DeadLetter> dead = queue.deadLetters(10);
        assertThat(dead).extracting(d -> d.field("source")).containsExactly(array, badValue);
        assertThat(dead.get(0).field("reason")).startsWith("nodeSelector: must be a JSON object of strings");
        assertThat(dead.get(1).field("reason")).isEqualTo("nodeSelector.zone: " + NodeLabels.VALUE_RULE + ", got 'r 1'");
    }

    @Test
    void aBacklogOfJobsForOtherNodesHidesNothingFromANodeWithoutTheirLabels() {
        RedisQueueBackend queue = open();
        for (int i = 0; i < 1_200; i++) { // more than a lease looks at in one set
            queue.enqueue(spec().priority(9).nodeSelector("gpu-model", "a100").build());
        }
        String plain = queue.enqueue(spec().priority(1).build()).job().id();
        String onL4 = queue.enqueue(spec().priority(1).nodeSelector("gpu-model", "l4").build()).job().id();
        String onL4InR1 = queue.enqueue(spec().priority(2).nodeSelector("gpu-model", "l4").nodeSelector("zone", "r1")
                .build()).job().id();
        assertThat(redis.cli("SMEMBERS", key("selectors")).lines().sorted().toList())
                .containsExactly("sel:gpu-model=a100", "sel:gpu-model=l4", "sel:gpu-model=l4,zone=r1");

        assertThat(queue.lease(worker("bare")).orElseThrow().jobId()).isEqualTo(plain);
        assertThat(queue.lease(worker("l4").labelled(Map.of("gpu-model", "l4"))).orElseThrow().jobId()).isEqualTo(onL4);
        assertThat(queue.lease(worker("l4-r1").labelled(Map.of("gpu-model", "l4", "zone", "r1"))).orElseThrow().jobId())
                .isEqualTo(onL4InR1);
        assertThat(redis.cli("SMEMBERS", key("selectors"))).as("a selector's set named while it holds a job")
                .isEqualTo("sel:gpu-model=a100");
        assertThat(queue.lease(worker("a100").labelled(Map.of("gpu-model", "a100", "zone", "r1")))).isPresent();
        assertThat(redis.cli("ZCARD", key("ready:sel:gpu-model=a100"))).isEqualTo("1199");
    }

    @Test
    void aBacklogOfGpuJobsThatSelectNodesHidesNothingFromANodeWithTheirLabelsAndNoFreeGpu() {
        RedisQueueBackend queue = open();
        for (int i = 0; i < 1_100; i++) { // more than a lease looks at in one set
            queue.enqueue(spec().priority(9).nodeSelector("pool", "ml").resources(resources(1, 512, 1)).build());
        }
        String cpuOnly = queue.enqueue(spec().priority(1).nodeSelector("pool", "ml").build()).job().id();
        assertThat(redis.cli("SMEMBERS", key("selectors")).lines().sorted().toList())
                .containsExactly("gpu:sel:pool=ml", "sel:pool=ml");

        assertThat(queue.lease(worker("busy-gpus", 8, 8192, 0).labelled(Map.of("pool", "ml"))).orElseThrow().jobId())
                .isEqualTo(cpuOnly);
        assertThat(queue.lease(worker("free-gpu", 8, 8192, 1).labelled(Map.of("pool", "ml"))).orElseThrow().job().spec()
                .resources().gpus()).isEqualTo(1);
        assertThat(redis.cli("SMEMBERS", key("selectors"))).isEqualTo("gpu:sel:pool=ml");
    }

    @Test
    void aTenantsListReadsItsOwnIndexNotThoseOfEveryJob() {
        RedisQueueBackend queue = open();
        String first = queue.enqueue(spec().tenant("team-a").build()).job().id();
        for (int i = 0; i < 2_000; i++) {
            queue.enqueue(spec().tenant(i % 2 == 0 ? "team-b" : null).build());
        }
        String last = queue.enqueue(spec().tenant("team-a").build()).job().id();
        assertThat(redis.cli("ZRANGE", key("tenant:team-a"), "0", "-1")).isEqualTo(first + "\n" + last);

        redis.cli("CONFIG", "RESETSTAT");
        JobPage page = queue.list(new JobQuery(Set.of(), null, 10, "team-a"));
        assertThat(page.jobs()).extracting(Job::id).containsExactly(last, first);
        assertThat(page.nextCursor()).isNull();
        // a few hashes read (the change feed's reader may read some too), not the 2,000 of others passed over
        long hashReads = java.util.regex.Pattern.compile("cmdstat_(hget|hmget|hgetall):calls=(\\d+),")
                .matcher(redis.cli("INFO", "commandstats")).results().mapToLong(m -> Long.parseLong(m.group(2))).sum();
        assertThat(hashReads).isLessThan(100);
    }

    @Test
    void aStateFilterOnATenantsListLooksAtABoundedShareOfItsJobsPerCallAndSaysWhereToGoOn() {
        RedisQueueBackend queue = open();
        String running = queue.enqueue(spec().tenant("team-a").build()).job().id();
        Lease lease = queue.lease(worker("w1")).orElseThrow();
        queue.starting(lease, "node-1", selection("process"));
        queue.running(lease);
        java.util.stream.IntStream.range(0, 6_000).parallel()
                .forEach(i -> queue.enqueue(spec().tenant("team-a").build()));

        List<String> found = new ArrayList<>();
        List<Integer> sizes = new ArrayList<>();
        String cursor = null;
        do {
            redis.cli("CONFIG", "RESETSTAT");
            JobPage page = queue.list(new JobQuery(Set.of(JobState.RUNNING), cursor, 10, "team-a"));
            long stateReads = java.util.regex.Pattern.compile("cmdstat_hget:calls=(\\d+),")
                    .matcher(redis.cli("INFO", "commandstats")).results().mapToLong(m -> Long.parseLong(m.group(1))).sum();
            assertThat(stateReads).as("jobs looked at in one call").isLessThanOrEqualTo(5_100);
            page.jobs().forEach(job -> found.add(job.id()));
            sizes.add(page.jobs().size());
            cursor = page.nextCursor();
        } while (cursor != null && sizes.size() < 10);
        assertThat(found).containsExactly(running);
        assertThat(sizes).as("a page cut short by the bound, empty, then the page with the job").containsExactly(0, 1);
    }

    @Test
    void theRetentionSweepDropsAnExpiredJobFromItsTenantsIndex() {
        RedisQueueBackend queue = open(redis, "retention=PT2S&timeout=PT0.5S", Clock.systemUTC());
        Job done = queue.enqueue(spec().tenant("team-a").build()).job();
        Job waiting = queue.enqueue(spec().tenant("team-a").build()).job();
        Lease lease = queue.lease(worker("w1")).orElseThrow();
        assertThat(lease.jobId()).isEqualTo(done.id());
        queue.starting(lease, "node-1", selection("process"));
        queue.running(lease);
        queue.finish(lease, Outcome.succeeded(0, false)).orElseThrow();

        await().atMost(Duration.ofSeconds(10)).until(() -> queue.get(done.id()).isEmpty());
        assertThat(queue.sweepRetention()).isEqualTo(1);
        assertThat(redis.cli("ZRANGE", key("tenant:team-a"), "0", "-1")).isEqualTo(waiting.id());
        assertThat(redis.cli("ZCARD", key("finished"))).isEqualTo("0");
        assertThat(queue.list(new JobQuery(Set.of(), null, 10, "team-a")).jobs()).extracting(Job::id)
                .containsExactly(waiting.id());
    }

    @Test
    void oneHousekeepingPassTakesInABoundedShareOfTheSubmitStream() {
        RedisQueueBackend queue = open();
        // producers ahead of the intake: a pass that took in until the stream was empty might never end
        redis.cli("EVAL", "for i = 1, 5100 do redis.call('XADD', KEYS[1], '*', 'command', '[\"true\"]') end", "1",
                key("submit"));

        assertThat(queue.housekeeping(java.util.function.UnaryOperator.identity())).isEqualTo(5000);
        assertThat(redis.cli("XLEN", key("submit"))).as("left for the next pass").isEqualTo("100");
    }

    @Test
    void malformedEntriesAreDeadLetteredWithTheFieldAndTheQueueFlowsOn() {
        RedisQueueBackend queue = open();
        String notJson = redis.cli("XADD", key("submit"), "*", "command", "echo hi");
        String unknown = redis.cli("XADD", key("submit"), "*", "command", "[\"true\"]", "colour", "blue");
        String tooUrgent = redis.cli("XADD", key("submit"), "*", "command", "[\"true\"]", "priority", "42");
        redis.cli("XADD", key("submit"), "*", "command", "[\"echo\",\"fine\"]");

        assertThat(queue.intake(10)).isEqualTo(4);

        List<DeadLetter> dead = queue.deadLetters(10);
        assertThat(dead).extracting(d -> d.field("source")).containsExactly(notJson, unknown, tooUrgent);
        assertThat(dead.get(0).field("reason")).startsWith("command: must be a JSON array of strings");
        assertThat(dead.get(0).field("entry.command")).as("the original field").isEqualTo("echo hi");
        assertThat(dead.get(1).field("reason")).startsWith("colour: is not a property of a job spec");
        assertThat(dead.get(2).field("reason")).isEqualTo("priority: must be between 0 and 9, got 42");
        assertThat(queue.submitEntriesSetAside()).as("counted for the metrics").isEqualTo(3);
        assertTheOneJobTakenInIs(queue, "echo", "fine");
    }

    /**
     * An entry larger than a job may be would take a server's memory to read (and, taken over, the next
     * server's): it is set aside unread, whether new or read already by a server that died of it.
     */
    @Test
    void anEntryLargerThanAJobMayBeIsSetAsideUnreadAndTheQueueFlowsOn() {
        RedisQueueBackend queue = open();
        String big = "x".repeat(WireFormat.MAX_ENTRY_BYTES);
        String readBeforeId = xadd("command", "[\"true\"]", "stdin", big);
        // read by a server that died of it, idle as long as such an entry is once another takes it over
        redis.cli("XGROUP", "CREATE", key("submit"), "intake", "0");
        redis.cli("XCLAIM", key("submit"), "intake", "a-server-that-died", "0", readBeforeId, "IDLE", "60000", "FORCE");
        String unreadId = xadd("name", "too-big", "command", "[\"true\"]", "stdin", big);
        redis.cli("XADD", key("submit"), "*", "command", "[\"echo\",\"fine\"]");

        assertThat(queue.intake(10)).isEqualTo(3);

        List<DeadLetter> dead = queue.deadLetters(10);
        assertThat(dead).extracting(d -> d.field("source")).containsExactly(readBeforeId, unreadId);
        assertThat(dead.get(1).field("reason")).isEqualTo("entry: " + (4 + 7 + 7 + 8 + 5 + big.length())
                + " bytes (its field names and values), more than the 4194304 a job may take: set aside unread");
        assertThat(dead.get(1).field("entry.name")).isEqualTo("too-big");
        assertThat(dead.get(1).field("entry.command")).isEqualTo("[\"true\"]");
        assertThat(dead.get(1).field("entry.stdin")).isEqualTo("(4194304 bytes, left out)");
        assertThat(redis.cli("XPENDING", key("submit"), "intake")).as("nothing left pending").startsWith("0");
        assertThat(queue.submitEntriesSetAside()).isEqualTo(2);
        assertTheOneJobTakenInIs(queue, "echo", "fine");
    }

    @Test
    void anEntryOfMoreFieldsThanAnEntryMayHaveIsSetAsideUnreadAndTheQueueFlowsOn() {
        RedisQueueBackend queue = open();
        String[] fields = new String[2 * 200_000];
        java.util.Arrays.fill(fields, "");
        fields[0] = "command";
        fields[1] = "[\"true\"]";
        for (int i = 2; i < fields.length; i += 2) {
            fields[i] = "a";
        }
        // small (1.2 MB), but read, each of its fields made an object and an error in the server: a few million such
        // ran its memory out, at every read of it
        String many = xadd(fields);
        redis.cli("XADD", key("submit"), "*", "command", "[\"echo\",\"fine\"]");

        assertThat(queue.intake(10)).isEqualTo(2);

        assertThat(queue.deadLetters(10)).singleElement().satisfies(dead -> {
            assertThat(dead.field("source")).isEqualTo(many);
            assertThat(dead.field("reason")).isEqualTo("entry: 200000 fields, more than the 64 an entry may have (a job has"
                    + " at most 15): set aside unread");
            assertThat(dead.field("entry.command")).isEqualTo("[\"true\"]");
            assertThat(dead.field("entryFieldsLeftOut")).isEqualTo(Integer.toString(200_000 - 64));
        });
        assertThat(queue.submitEntriesSetAside()).isEqualTo(1);
        assertTheOneJobTakenInIs(queue, "echo", "fine");
    }

    @Test
    void aReadOfTheSubmitStreamStopsAtItsByteBudgetAndTheNextReadTakesTheRest() {
        RedisQueueBackend queue = open();
        String blob = "x".repeat(3 * 1024 * 1024); // under an entry's limit: each is read, and a hundred would be 300 MiB
        for (int i = 0; i < 8; i++) {
            xadd("command", "[\"true\"]", "blob", blob);
        }
        int size = "command".length() + "[\"true\"]".length() + "blob".length() + blob.length();

        // without the budget, one read took all eight: 24 MiB in one reply, and in the server before any was parsed
        assertThat(queue.intake(100)).isEqualTo(Intake.READ_BUDGET_BYTES / size + 1).isLessThan(8);
        assertThat(queue.intake(100)).isEqualTo(8 - (Intake.READ_BUDGET_BYTES / size + 1));

        assertThat(queue.deadLetters(10)).hasSize(8)
                .allSatisfy(dead -> assertThat(dead.field("reason")).startsWith("blob: is not a property of a job spec"));
        assertThat(redis.cli("XLEN", key("submit"))).isEqualTo("0");
    }

    @Test
    void anEntryLargerThanAJobMayBeIsSetAsideByWhicheverReadReachesItOneEntryAtATime() {
        RedisQueueBackend queue = open();
        redis.cli("XADD", key("submit"), "*", "command", "[\"echo\",\"first\"]");
        String giant = xadd("command", "[\"true\"]", "stdin", "x".repeat(WireFormat.MAX_ENTRY_BYTES), "env", "{}",
                "env", "{\"A\":\"1\"}");
        redis.cli("XADD", key("submit"), "*", "command", "[\"echo\",\"second\"]");

        assertThat(List.of(queue.intake(1), queue.intake(1), queue.intake(1), queue.intake(1))).containsExactly(1, 1, 1, 0);

        assertThat(queue.list(JobQuery.all(10)).jobs()).extracting(job -> job.spec().command().getLast())
                .containsExactlyInAnyOrder("first", "second");
        assertThat(queue.deadLetters(10)).singleElement().satisfies(dead -> {
            assertThat(dead.field("source")).isEqualTo(giant);
            assertThat(dead.field("entry.stdin")).isEqualTo("(4194304 bytes, left out)");
            assertThat(dead.field("entry.env")).isEqualTo("{}");
            assertThat(dead.field("entry.env#2")).as("a field given again").isEqualTo("{\"A\":\"1\"}");
        });
    }

    @Test
    void anEntryOfTheLargestIdAProducerMayGiveIsTakenInAndSoAreTheEntriesAfterIt() {
        RedisQueueBackend queue = open();
        // past a Java long; Redis's stream ids are unsigned, and every later '*' id is larger still
        redis.cli("XADD", key("submit"), "9223372036854775808-1", "command", "[\"echo\",\"first\"]");
        redis.cli("XADD", key("submit"), "*", "command", "[\"echo\",\"second\"]");

        assertThat(queue.housekeeping(UnaryOperator.identity())).isEqualTo(2);

        assertThat(queue.list(JobQuery.all(10)).jobs()).extracting(job -> job.spec().command().getLast())
                .containsExactlyInAnyOrder("first", "second");
        assertThat(queue.deadLetters(10)).isEmpty();
        assertThat(redis.cli("XLEN", key("submit"))).isEqualTo("0");
    }

    @Test
    void anEntrysMistakesAreNamedInTheWordsTheRestApiUses() {
        RedisQueueBackend queue = open();
        redis.cli("XADD", key("submit"), "*", "command", "[\"true\"]", "resources", "{\"memoryMb\":1.5}");
        redis.cli("XADD", key("submit"), "*", "command", "[\"true\"]", "resources", "{\"cpus\":1,\"cpus\":2}");
        redis.cli("XADD", key("submit"), "*", "command", "[\"true\"]", "colour", "blue", "size", "xl");
        redis.cli("XADD", key("submit"), "*", "command", "[\"true\"]", "mounts",
                "[{\"hostPath\":\"/a\",\"hostPath\":\"/b\",\"sandboxPath\":\"/c\"}]");
        redis.cli("XADD", key("submit"), "*", "command", "[\"echo\",null]");
        redis.cli("XADD", key("submit"), "*", "command", "[\"true\"]", "env", "{\"A\":1}");
        redis.cli("XADD", key("submit"), "*", "command", "[\"true\"]", "timeoutSeconds", "99999999999");
        redis.cli("XADD", key("submit"), "*", "command", "[\"true\"]", "timeoutSeconds", "999999999");
        redis.cli("XADD", key("submit"), "*", "command", "[\"true\"]", "resources", "{\"cpus\":\"NaN\"}");
        redis.cli("XADD", key("submit"), "*", "command", "[\"echo\",\"nulls\"]", "resources", "null", "retry", " null ");

        assertThat(queue.intake(10)).isEqualTo(10);

        List<DeadLetter> dead = queue.deadLetters(10);
        assertThat(dead.get(0).field("reason")).isEqualTo("resources.memoryMb: must be a whole number, got '1.5'");
        assertThat(dead.get(1).field("reason")).isEqualTo("resources.cpus: is given more than once; give each field once");
        assertThat(dead.get(2).field("reason")).as("the known names said once")
                .contains("colour: is not a property of a job spec; known: ", "size: is not a property of a job spec")
                .containsOnlyOnce("known:");
        assertThat(dead.get(3).field("reason")).startsWith("mounts[0].hostPath: is given more than once");
        assertThat(dead.get(4).field("reason")).isEqualTo("command[1]: must not be null");
        assertThat(dead.get(5).field("reason")).startsWith("env.A: ");
        assertThat(dead.get(6).field("reason"))
                .isEqualTo("timeoutSeconds: is out of range: must be a whole number of at most 2147483647, got '99999999999'");
        assertThat(dead.get(7).field("reason")).as("within an int: the spec's own bound")
                .startsWith("timeoutSeconds: must be between 1 and 604800");
        assertThat(dead.get(8).field("reason")).as("not a number, though Jackson reads it as one")
                .isEqualTo("resources.cpus: has the wrong type: must be a number");
        assertThat(dead).as("a null is not given, as the API takes it").hasSize(9);
        assertThat(queue.list(JobQuery.all(10)).jobs()).singleElement()
                .satisfies(job -> assertThat(job.spec().resources()).isEqualTo(JobSpec.of("true").resources()));
    }

    @Test
    void aWholeNumberIsReadAsWrittenNotAsTheNearestDouble() {
        RedisQueueBackend queue = open();
        redis.cli("XADD", key("submit"), "*", "command", "[\"true\"]", "resources", "{\"memoryMb\":512.0000000000000001}");
        redis.cli("XADD", key("submit"), "*", "command", "[\"true\"]", "resources", "{\"memoryMb\":5.12e2,\"cpus\":0.1}");

        assertThat(queue.intake(10)).isEqualTo(2);

        // it used to be read as the double 512.0 and taken, where the API refuses it
        assertThat(queue.deadLetters(10)).singleElement().satisfies(dead -> assertThat(dead.field("reason"))
                .isEqualTo("resources.memoryMb: must be a whole number, got '512.0000000000000001'"));
        assertThat(queue.list(JobQuery.all(10)).jobs()).singleElement().satisfies(job -> {
            assertThat(job.spec().resources().memoryMb()).isEqualTo(512L);
            assertThat(job.spec().resources().cpus()).isEqualTo(0.1);
        });
    }

    @Test
    void entriesThatPoseAsTheQueuesOwnOrAreHugeOrBreakAPathCheckAreDeadLetteredToo() {
        RedisQueueBackend queue = open();
        String posing = redis.cli("XADD", key("submit"), "*", "command", "[\"true\"]", "reason", "fake", "job", "j-x");
        String nul = redis.cli("XADD", key("submit"), "*", "command", "[\"true\"]",
                "mounts", "[{\"hostPath\":\"/tmp\",\"sandboxPath\":\"/a\\u0000b\"}]");
        List<String> huge = new ArrayList<>(List.of("XADD", key("submit"), "*"));
        for (int i = 0; i < 5000; i++) { // more than Lua can unpack into one command
            huge.addAll(List.of("f" + i, "v"));
        }
        String many = redis.cli(huge.toArray(String[]::new));
        List<String> wordy = new ArrayList<>(List.of("XADD", key("submit"), "*"));
        for (int i = 0; i < 60; i++) { // as many as an entry may have, each unknown, with a long name
            wordy.addAll(List.of("f" + "x".repeat(100) + i, "v"));
        }
        String unknowns = redis.cli(wordy.toArray(String[]::new));
        String big = redis.cli("XADD", key("submit"), "*", "command", "[\"true\"]", "priority", "high",
                "stdin", "x".repeat(100_000));
        redis.cli("XADD", key("submit"), "*", "command", "[\"echo\",\"after\"]");

        assertThat(queue.intake(10)).isEqualTo(6);

        List<DeadLetter> dead = queue.deadLetters(10);
        assertThat(dead).as("the entry of many fields set aside as it is read, before the others are parsed")
                .extracting(d -> d.field("source")).containsExactly(many, posing, nul, unknowns, big);
        assertThat(dead.get(0).field("entryFieldsLeftOut")).isEqualTo(String.valueOf(5000 - DeadLetter.MAX_ENTRY_FIELDS));
        assertThat(dead.get(0).field("entry.f0")).isEqualTo("v");
        assertThat(dead.get(0).field("reason")).startsWith("entry: 5000 fields, more than the 64");
        assertThat(dead.get(1).field("reason")).as("the queue's reason, not the entry's").contains("is not a property");
        assertThat(dead.get(1).field("entry.reason")).isEqualTo("fake");
        assertThat(dead.get(1).field("job")).as("not taken for a job that ended DEAD").isNull();
        assertThat(dead.get(2).field("reason")).startsWith("mounts[0].sandboxPath: must not contain a NUL character");
        assertThat(dead.get(3).field("reason")).as("one error per unknown field, cut short")
                .hasSizeLessThan(DeadLetter.MAX_VALUE_CHARS + 40).endsWith(" characters in all)");
        assertThat(dead.get(4).field("reason")).startsWith("priority:");
        assertThat(dead.get(4).field("entry.stdin")).as("what the producer sent, cut short")
                .startsWith("xxxx").endsWith("... (100000 characters in all)").hasSizeLessThan(DeadLetter.MAX_VALUE_CHARS + 40);
        assertTheOneJobTakenInIs(queue, "echo", "after");
    }

    @Test
    void anEntryThatTextWouldChangeIsDeadLetteredNotChanged() {
        RedisQueueBackend queue = open();
        String twice = redis.cli("XADD", key("submit"), "*", "command", "[\"rm\",\"-rf\",\"/x\"]", "command",
                "[\"echo\",\"second\"]");
        // bytes that are not UTF-8, which redis-cli cannot pass as an argument: Lua makes them
        String notUtf8 = redis.cli("EVAL", "return redis.call('XADD', KEYS[1], '*', 'command', '[\"cat\"]', 'stdin', 'in'"
                + " .. string.char(255, 254) .. 'put')", "1", key("submit"));
        String brokenJson = redis.cli("XADD", key("submit"), "*", "command", "[\"true\"]", "env", "{\"A\":");
        redis.cli("XADD", key("submit"), "*", "command", "[\"echo\",\"after\"]");

        assertThat(queue.intake(10)).isEqualTo(4);

        List<DeadLetter> dead = queue.deadLetters(10);
        assertThat(dead).extracting(d -> d.field("source")).containsExactly(twice, notUtf8, brokenJson);
        assertThat(dead.get(0).field("reason")).isEqualTo("command: is given more than once; give each field once");
        assertThat(List.of(dead.get(0).field("entry.command"), dead.get(0).field("entry.command#2")))
                .as("each value the producer sent").containsExactly("[\"rm\",\"-rf\",\"/x\"]", "[\"echo\",\"second\"]");
        assertThat(dead.get(1).field("reason")).isEqualTo("stdin: is not valid UTF-8 text");
        assertThat(dead.get(2).field("reason")).startsWith("env: must be a JSON object of strings, got '{\"A\":' (not valid JSON: ");
        assertTheOneJobTakenInIs(queue, "echo", "after");
    }

    @Test
    void anEntryWhoseIdempotencyKeyIsAnotherJobsIsDeadLetteredAndARepeatIsNot() {
        RedisQueueBackend queue = open();
        redis.cli("XADD", key("submit"), "*", "command", "[\"echo\",\"a\"]", "idempotencyKey", "k1");
        redis.cli("XADD", key("submit"), "*", "command", "[\"echo\",\"a\"]", "idempotencyKey", "k1");
        String other = redis.cli("XADD", key("submit"), "*", "command", "[\"echo\",\"b\"]", "idempotencyKey", "k1");

        assertThat(queue.intake(10)).isEqualTo(3);

        Job job = queue.list(JobQuery.all(10)).jobs().getFirst();
        assertThat(queue.list(JobQuery.all(10)).jobs()).as("one job for the key").hasSize(1);
        assertThat(queue.deadLetters(10)).as("a repeat is no dead letter; another spec under the key is")
                .singleElement().satisfies(dead -> {
                    assertThat(dead.field("source")).isEqualTo(other);
                    assertThat(dead.field("reason")).isEqualTo("idempotencyKey: 'k1' is the key of job " + job.id()
                            + ", submitted with another spec; a repeat must send the same spec, a new job a new key");
                    assertThat(dead.field("entry.command")).isEqualTo("[\"echo\",\"b\"]");
                });
        assertThat(redis.cli("XLEN", key("submit"))).isEqualTo("0");

        // an id given by hand that an earlier entry had (the stream was deleted meanwhile) is no repeat either
        String firstId = JobIds.forSubmitEntry(prefix, "1-1");
        for (String command : List.of("[\"echo\",\"one\"]", "[\"echo\",\"two\"]")) {
            redis.cli("DEL", key("submit"));
            redis.cli("XGROUP", "CREATE", key("submit"), "intake", "0", "MKSTREAM");
            redis.cli("XADD", key("submit"), "1-1", "command", command);
            if (command.contains("one")) {
                queue.intake(10);
            }
        }
        assertThat(queue.intake(10)).isEqualTo(1);
        assertThat(queue.get(firstId)).hasValueSatisfying(one -> assertThat(one.spec().command()).containsExactly("echo", "one"));
        assertThat(queue.deadLetters(10)).last().satisfies(dead -> assertThat(dead.field("reason"))
                .startsWith("entry: its id 1-1 made job " + firstId + " before, with another spec"));
    }

    @Test
    void aDeadLetterKeepsEveryValueThoughTheEntryNamesAFieldAsARepeatIsRenamed() {
        RedisQueueBackend queue = open();
        redis.cli("XADD", key("submit"), "*", "a", "1", "a", "2", "a#2", "3");

        assertThat(queue.intake(10)).isEqualTo(1);

        // the second 'a' was kept as a#2, which the entry's own a#2 then overwrote
        assertThat(queue.deadLetters(10)).singleElement().satisfies(dead -> assertThat(dead.fields())
                .containsEntry("entry.a", "1").containsEntry("entry.a#2", "2").containsEntry("entry.a#2#2", "3"));
    }

    @Test
    void anInvalidEntryUnderAnotherJobsKeyIsToldItsOwnFaultsAndTheKeys() {
        RedisQueueBackend queue = open();
        redis.cli("XADD", key("submit"), "*", "command", "[\"true\"]", "idempotencyKey", "k1");
        redis.cli("XADD", key("submit"), "*", "command", "[\"false\"]", "priority", "42", "idempotencyKey", "k1");

        assertThat(queue.intake(10)).isEqualTo(2);

        Job job = queue.list(JobQuery.all(10)).jobs().getFirst();
        // it used to name the key alone: a producer that mended the key would have failed again on the priority
        assertThat(queue.deadLetters(10)).singleElement().satisfies(dead -> assertThat(dead.field("reason"))
                .isEqualTo("priority: must be between 0 and 9, got 42; idempotencyKey: 'k1' is the key of job " + job.id()
                        + ", submitted with another spec; a repeat must send the same spec, a new job a new key"));
    }

    @Test
    void aRepeatedEntryIsTakenAsARepeatEvenOnceNoNodeFitsItAnyLonger() {
        RedisQueueBackend queue = open();
        redis.cli("XADD", key("submit"), "*", "command", "[\"echo\",\"a\"]", "idempotencyKey", "k1");
        assertThat(queue.intake(10)).isEqualTo(1);
        Job job = queue.list(JobQuery.all(10)).jobs().getFirst();

        // the only node that had what the job asks for is gone: a new job would be refused
        UnaryOperator<JobSpec> noNodeFits = spec -> {
            throw new InvalidSpecException(List.of(new FieldError("resources.cpus", "no node has 1 CPU free")));
        };
        redis.cli("XADD", key("submit"), "*", "command", "[\"echo\",\"a\"]", "idempotencyKey", "k1");
        String fresh = redis.cli("XADD", key("submit"), "*", "command", "[\"echo\",\"a\"]", "idempotencyKey", "k2");
        assertThat(queue.intake(10, noNodeFits)).isEqualTo(2);

        assertThat(queue.list(JobQuery.all(10)).jobs()).extracting(Job::id).containsExactly(job.id());
        assertThat(queue.deadLetters(10)).as("the repeat is no dead letter; the new job is").singleElement()
                .satisfies(dead -> {
                    assertThat(dead.field("source")).isEqualTo(fresh);
                    assertThat(dead.field("reason")).contains("resources.cpus");
                });
        assertThat(redis.cli("XLEN", key("submit"))).isEqualTo("0");
    }

    @Test
    void anEntryGivenAgainUnderTheIdThatMadeItsJobIsTakenAsARepeatAndDoesNotStay() {
        RedisQueueBackend queue = open();
        for (int i = 0; i < 2; i++) { // the stream deleted meanwhile, the same entry given again by hand
            redis.cli("DEL", key("submit"));
            redis.cli("XGROUP", "CREATE", key("submit"), "intake", "0", "MKSTREAM");
            redis.cli("XADD", key("submit"), "1-1", "command", "[\"echo\",\"one\"]");
            assertThat(queue.intake(10)).isEqualTo(1);
        }
        assertThat(queue.deadLetters(10)).as("a repeat is no dead letter").isEmpty();
        assertThat(redis.cli("XLEN", key("submit"))).isEqualTo("0");
        assertThat(redis.cli("XPENDING", key("submit"), "intake")).startsWith("0");
        assertThat(queue.intake(10)).as("nothing left to take in again").isZero();
    }

    @Test
    void aProcessThatClosesLeavesTheIntakeGroup() {
        open().close(); // names the prefix
        for (int i = 0; i < 3; i++) {
            try (RedisQueueBackend server = RedisQueueBackend.open(redis.uri("prefix=" + prefix), clock)) {
                server.intake(10);
            }
        }
        assertThat(redis.cli("XINFO", "CONSUMERS", key("submit"), "intake")).as("consumers left in the group").isEmpty();
    }

    @Test
    void consumersOfKilledProcessesThatHoldNothingAreRemovedAndOneThatHoldsAnEntryIsKept() throws Exception {
        RedisQueueBackend queue = open();
        queue.intake(1); // makes the group, and this process's consumer
        for (String gone : List.of("intake-killed-1", "intake-killed-2")) {
            // as each process's first read (of its own pending entries) makes its consumer; then it is killed
            redis.cli("XREADGROUP", "GROUP", "intake", gone, "COUNT", "1", "STREAMS", key("submit"), "0");
        }
        redis.cli("XADD", key("submit"), "*", "command", "[\"true\"]");
        redis.cli("XREADGROUP", "GROUP", "intake", "intake-holding", "COUNT", "1", "STREAMS", key("submit"), ">");
        assertThat(redis.cli("XINFO", "CONSUMERS", key("submit"), "intake")).contains("intake-killed-1", "intake-killed-2");
        Thread.sleep(300);

        assertThat(queue.pruneIntakeConsumers(Duration.ofMillis(200))).isGreaterThanOrEqualTo(2);

        String left = redis.cli("XINFO", "CONSUMERS", key("submit"), "intake");
        assertThat(left).doesNotContain("intake-killed-1", "intake-killed-2").contains("intake-holding");
        assertThat(queue.intake(10)).as("its own made again on its next read").isZero();
    }

    /** A submit entry another process's intake read (as {@code consumer}) and holds: pending in its hands. */
    private String entryReadBy(RedisQueueBackend queue, String consumer) {
        queue.intake(1); // makes the group
        String entry = redis.cli("XADD", key("submit"), "*", "command", "[\"true\"]");
        redis.cli("XREADGROUP", "GROUP", "intake", consumer, "COUNT", "1", "STREAMS", key("submit"), ">");
        return entry;
    }

    @Test
    void anEntryACrashedIntakerLeftIsTakenOverOnceAndOnlyOnce() {
        RedisQueueBackend queue = open();
        // another process read it and died: it sits in that consumer's PEL, idle for a minute
        String entry = entryReadBy(queue, "crashed");
        redis.cli("XCLAIM", key("submit"), "intake", "crashed", "0", entry, "IDLE", "60000");

        assertThat(queue.intake(10)).isEqualTo(1);

        String id = JobIds.forSubmitEntry(prefix, entry);
        assertThat(queue.get(id)).hasValueSatisfying(job -> assertThat(job.state()).isEqualTo(JobState.QUEUED));
        assertThat(JobIds.forSubmitEntry(prefix, entry)).as("the same entry names the same job").isEqualTo(id)
                .matches("j-[0-9a-hjkmnp-tv-z]{20}");
        assertThat(lines(redis.cli("XPENDING", key("submit"), "intake", "-", "+", "10"))).isEmpty();
        assertThat(queue.countByState().get(JobState.QUEUED)).isEqualTo(1);
    }

    @Test
    void anEntryAnotherProcessSetAsideMeanwhileMakesNoJobWhenAHeldUpIntakerComesBackToIt() {
        RedisQueueBackend queue = open();
        String entry = entryReadBy(queue, "held-up");
        // meanwhile another process took it over and set it aside, as dead_letter.lua does
        redis.cli("XACK", key("submit"), "intake", entry);
        redis.cli("XDEL", key("submit"), entry);

        // the held-up process goes on with enqueue.lua, as RedisQueueBackend's intake calls it
        String enqueue = java.util.regex.Pattern.compile("hangar_[0-9a-f]{16}_enqueue")
                .matcher(redis.cli("FUNCTION", "LIST")).results().findFirst().orElseThrow().group();
        String id = JobIds.forSubmitEntry(prefix, entry);
        String reply = redis.cli("FCALL", enqueue, "1", "{" + prefix + "}:", "10000", "0", "10000",
                Long.toString(RedisQueueBackend.LEASE_HORIZON.toMillis()), "10000", "", id, "{\"command\":[\"true\"]}",
                "5", "1.0", "512", "0", "", "0", "1893456000000", "", entry, "0", "", "", "");

        assertThat(reply).isEqualTo("3");
        assertThat(queue.get(id)).as("no job beside the dead letter").isEmpty();
        assertThat(queue.countByState().get(JobState.QUEUED)).isZero();
    }

    // ---- leases in the PEL -------------------------------------------------------------------

    @Test
    void aBacklogOfGpuJobsPastTheLeaseScanHidesNoJobFromANodeWithoutGpus() {
        RedisQueueBackend queue = open();
        for (int i = 0; i < 1_200; i++) { // more than one lease looks at
            queue.enqueue(spec().resources(resources(1, 512, 1)).priority(9).build());
        }
        Job plain = queue.enqueue(spec().name("plain").build()).job();

        assertThat(queue.lease(worker("cpu-only", 16, 8192, 0)).orElseThrow().jobId()).isEqualTo(plain.id());
        assertThat(queue.lease(worker("gpu", 16, 8192, 1)).orElseThrow().job().spec().resources().gpus()).isEqualTo(1);
    }

    @Test
    void aJobStoredByAVersionWithAnotherFieldIsStillReadAndLeased() {
        RedisQueueBackend queue = open();
        Job job = queue.enqueue(spec("newer")).job();
        String spec = redis.cli("HGET", key("job:" + job.id()), "spec");
        redis.cli("HSET", key("job:" + job.id()), "spec", spec.replaceFirst("\\{", "{\"fieldOfANewerVersion\":1,"));

        assertThat(queue.lease(worker("w1")).orElseThrow().job().spec().name()).isEqualTo("newer");
        assertThat(queue.get(job.id()).orElseThrow().spec().name()).isEqualTo("newer");
    }

    @Test
    void aLeasedJobFoundInTheReadySetIsNotLeasedTwice() {
        RedisQueueBackend queue = open();
        Job job = queue.enqueue(spec("once")).job();
        Lease first = queue.lease(worker("w1")).orElseThrow();
        redis.cli("ZADD", key("ready"), "0", job.id()); // as a slip of some path would leave it

        assertThat(queue.lease(worker("w2"))).as("no second lease").isEmpty();
        assertThat(redis.cli("ZCARD", key("ready"))).as("the stray entry dropped").isEqualTo("0");
        assertThat(queue.renew(first)).isEqualTo(dev.hangar.core.queue.LeaseStatus.HELD);
    }

    @Test
    void aJobQueuedBeforeLeasesMatchedNetworkAndImageFitsAnyAgent() {
        RedisQueueBackend queue = open();
        Job job = queue.enqueue(spec().image("debian")
                .profile(new WorkloadProfile(null, new Needs(null, null, null, true), null, null)).build()).job();
        assertThat(redis.cli("HMGET", key("job:" + job.id()), "net", "image")).isEqualTo("1\ndebian");
        var closedBusyboxNode = worker("w1", java.util.Set.of("process"), java.util.Set.of())
                .offering(java.util.Set.of(), java.util.Set.of("busybox"));
        assertThat(queue.lease(closedBusyboxNode)).as("the job needs what the node lacks").isEmpty();

        redis.cli("HDEL", key("job:" + job.id()), "net", "image"); // as a job of the version before them

        assertThat(queue.lease(closedBusyboxNode).orElseThrow().jobId()).isEqualTo(job.id());
    }

    @Test
    void anExpiredLeaseIsReclaimedThroughXautoclaim() {
        RedisQueueBackend queue = open();
        Job job = queue.enqueue(spec("expiring")).job();
        Lease lease = queue.lease(worker("w1", Duration.ofSeconds(10))).orElseThrow();

        List<String> pending = lines(redis.cli("XPENDING", key("leases"), "workers", "-", "+", "10"));
        assertThat(pending).as("id, consumer, idle, deliveries").hasSize(4);
        assertThat(pending.get(0)).isEqualTo(lease.token());
        assertThat(pending.get(1)).isEqualTo("w1");
        assertThat(queue.requeueExpired()).isZero();

        clock.advance(Duration.ofSeconds(11));
        assertThat(queue.requeueExpired()).isEqualTo(1);

        assertThat(lines(redis.cli("XPENDING", key("leases"), "workers", "-", "+", "10"))).isEmpty();
        assertThat(redis.cli("XLEN", key("leases"))).as("the lease entry is gone").isEqualTo("0");
        assertThat(queue.get(job.id()).orElseThrow().state()).isEqualTo(JobState.QUEUED);
        assertThat(queue.renew(lease)).isEqualTo(LeaseStatus.LOST);
    }

    private record Trimmed(RedisQueueBackend queue, Job job, Lease lease) {}

    /** A job leased by w1 for 10 s, whose lease entry an operator bounding every stream then deleted. */
    private Trimmed leasedAndTrimmed() {
        RedisQueueBackend queue = open();
        Job job = queue.enqueue(spec("trimmed")).job();
        Lease lease = queue.lease(worker("w1", Duration.ofSeconds(10))).orElseThrow();
        redis.cli("XTRIM", key("leases"), "MAXLEN", "0");
        return new Trimmed(queue, job, lease);
    }

    @Test
    void aLapsedLeaseWhoseEntryWasDeletedByHandIsReclaimedAllTheSame() {
        Trimmed trimmed = leasedAndTrimmed(); // then w1 dies
        var queue = trimmed.queue();

        clock.advance(Duration.ofSeconds(11));
        // without the fix XAUTOCLAIM dropped the entry from the group, and the job stayed leased for good
        assertThat(queue.requeueExpired()).isEqualTo(1);

        assertThat(queue.get(trimmed.job().id()).orElseThrow().state()).isEqualTo(JobState.QUEUED);
        assertThat(lines(redis.cli("XPENDING", key("leases"), "workers", "-", "+", "10"))).isEmpty();
        assertThat(redis.cli("XLEN", key("leases"))).isEqualTo("0");
        assertThat(queue.renew(trimmed.lease())).isEqualTo(LeaseStatus.LOST);
        assertThat(queue.lease(worker("w2")).orElseThrow().jobId()).isEqualTo(trimmed.job().id());
    }

    @Test
    void aLiveLeaseWhoseEntryWasDeletedByHandIsNotTakenBackBeforeItsDeadline() {
        Trimmed trimmed = leasedAndTrimmed(); // w1 runs on
        var queue = trimmed.queue();

        clock.advance(Duration.ofSeconds(2));
        // it was taken back at once, and another node ran the job while w1 still did, until w1's next renew
        assertThat(queue.requeueExpired()).isZero();
        assertThat(queue.get(trimmed.job().id()).orElseThrow().state()).isEqualTo(JobState.SCHEDULED);
        assertThat(queue.lease(worker("w2"))).isEmpty();
        assertThat(queue.renew(trimmed.lease())).as("its entry gone: w1 stops it").isEqualTo(LeaseStatus.LOST);

        clock.advance(Duration.ofSeconds(9)); // past the lease's own deadline
        assertThat(queue.requeueExpired()).isEqualTo(1);
        assertThat(queue.get(trimmed.job().id()).orElseThrow().state()).isEqualTo(JobState.QUEUED);
        assertThat(queue.lease(worker("w2")).orElseThrow().jobId()).isEqualTo(trimmed.job().id());
        assertThat(lines(redis.cli("XPENDING", key("leases"), "workers", "-", "+", "10"))).as("w2's entry alone")
                .hasSize(4).contains("w2"); // an entry's id, consumer, idle time and deliveries
    }

    @Test
    void aLeaseWhoseEntryWasDeletedByHandIsGivenBackWhenItsWorkerStartsAgain() {
        RedisQueueBackend queue = open();
        Job job = queue.enqueue(spec("trimmed")).job();
        Lease lease = queue.lease(worker("w1", Duration.ofSeconds(10))).orElseThrow();
        redis.cli("XDEL", key("leases"), lease.token());

        // without the fix the entry named no job: it was dropped, and the job stayed leased for good
        assertThat(queue.releaseLeasesOf("w1")).as("an agent's start").isEqualTo(1);

        assertThat(queue.get(job.id()).orElseThrow().state()).isEqualTo(JobState.QUEUED);
        assertThat(lines(redis.cli("XPENDING", key("leases"), "workers", "-", "+", "10"))).isEmpty();
    }

    @Test
    void aLeaseGroupLostWithRedissDataIsMadeAgainSoSweepsAndAgentStartsGoOn() {
        RedisQueueBackend queue = open();
        redis.cli("DEL", key("leases")); // as a Redis restarted without persistence, or flushed, has it

        assertThat(queue.releaseLeasesOf("w1")).as("an agent's start").isZero();
        assertThat(queue.requeueExpired()).as("a sweep").isZero();

        Job job = queue.enqueue(spec("after the loss")).job();
        Lease lease = queue.lease(worker("w1", Duration.ofSeconds(10))).orElseThrow();
        assertThat(lease.jobId()).isEqualTo(job.id());
        clock.advance(Duration.ofSeconds(11));
        assertThat(queue.requeueExpired()).as("its lease expired").isEqualTo(1);
    }

    @Test
    void noWorkerMayLeaseUnderTheNameOfTheConsumerThatTakesLeasesBack() {
        RedisQueueBackend queue = open();
        queue.enqueue(spec("kept"));
        assertThatThrownBy(() -> queue.lease(worker(RedisQueueBackend.REAPER)))
                .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("workerId");
        assertThat(queue.countByState().get(JobState.QUEUED)).isEqualTo(1);
        assertThat(RedisQueueBackend.REAPER).as("no node name (the CLI's rule) is the reaper's")
                .doesNotMatch("[A-Za-z0-9][A-Za-z0-9._-]{0,62}");
    }

    @Test
    void aLeaseASweeperClaimedBeforeItDiedIsReclaimedByTheNext() {
        RedisQueueBackend queue = open();
        Job job = queue.enqueue(spec("orphaned")).job();
        Lease lease = queue.lease(worker("w1", Duration.ofSeconds(10))).orElseThrow();
        // what reclaim.lua does before the settle, by a sweeper that then died
        redis.cli("XCLAIM", key("leases"), "workers", "dead-sweeper", "0", lease.token(), "TIME", "1", "JUSTID");
        assertThat(lines(redis.cli("XPENDING", key("leases"), "workers", "-", "+", "10")).get(1))
                .isEqualTo("dead-sweeper");

        assertThat(queue.requeueExpired()).isEqualTo(1);

        assertThat(queue.get(job.id()).orElseThrow().state()).isEqualTo(JobState.QUEUED);
        assertThat(lines(redis.cli("XPENDING", key("leases"), "workers", "-", "+", "10"))).isEmpty();
    }

    @Test
    void aResultIsRecordedOnceAndADeadJobIsDeadLettered() {
        RedisQueueBackend queue = open();
        Job job = queue.enqueue(spec().retry(TestJobs.retries(2, 0)).build()).job();
        for (int attempt = 1; attempt <= 2; attempt++) {
            Lease lease = queue.lease(worker("w1")).orElseThrow();
            queue.starting(lease, "node-1", selection("process"));
            queue.running(lease);
            queue.finish(lease, Outcome.failed(1, "exit code 1", false)).orElseThrow();
        }

        assertThat(queue.get(job.id()).orElseThrow().state()).isEqualTo(JobState.DEAD);
        assertThat(redis.cli("HGET", key("job:" + job.id()), "finishes")).isEqualTo("1");
        assertThat(queue.deadLetters(10)).singleElement().satisfies(dead -> {
            assertThat(dead.field("job")).isEqualTo(job.id());
            assertThat(dead.field("error")).contains("gave up after 2 attempts");
        });
    }

    @Test
    void finishAndLeaseCountsTheFinishOnceDeadLettersAndLeasesTheNextJob() {
        RedisQueueBackend queue = open();
        Job job = queue.enqueue(spec().retry(TestJobs.retries(2, 0)).build()).job();
        Lease lease = queue.lease(worker("w1")).orElseThrow();
        for (int attempt = 1; attempt <= 2; attempt++) {
            assertThat(queue.started(lease, "node-1", selection("process"), null)).isTrue();
            Job next = attempt == 1 ? job : queue.enqueue(spec("after")).job();
            Lease leased = queue.finishAndLease(lease, Outcome.failed(1, "exit code 1", false), worker("w1")).orElseThrow();
            assertThat(leased.jobId()).isEqualTo(next.id());
            lease = leased;
        }

        assertThat(queue.get(job.id()).orElseThrow().state()).isEqualTo(JobState.DEAD);
        assertThat(redis.cli("HGET", key("job:" + job.id()), "finishes")).isEqualTo("1");
        assertThat(redis.cli("XLEN", key("leases"))).isEqualTo("1");
        assertThat(queue.deadLetters(10)).singleElement().satisfies(dead -> assertThat(dead.field("job")).isEqualTo(job.id()));
    }

    @Test
    void aDueRetryWhoseJobIsGoneFailsNoFinishAndLeaseThatComesUponIt() {
        RedisQueueBackend queue = open();
        queue.enqueue(spec().build());
        Lease lease = queue.lease(worker("w1")).orElseThrow();
        Job next = queue.enqueue(spec("after")).job();
        redis.cli("ZADD", key("delayed"), "0", "j-evicted"); // its hash evicted, or deleted by hand

        // without the check it threw after the finish was written, and the worker took its finish for failed
        Lease leased = queue.finishAndLease(lease, Outcome.succeeded(0, false), worker("w1")).orElseThrow();

        assertThat(leased.jobId()).isEqualTo(next.id());
        assertThat(redis.cli("ZCARD", key("delayed"))).isEqualTo("0");
    }

    // ---- retention and bounds ----------------------------------------------------------------

    @Test
    void aFinalJobAndItsLogExpireAfterTheRetention() {
        RedisQueueBackend queue = open(redis, "retention=PT3S&timeout=PT1S", Clock.systemUTC());
        Job done = queue.enqueue(spec().name("done").idempotencyKey("once").build()).job();
        Job waiting = queue.enqueue(spec("waiting")).job();
        Lease lease = queue.lease(worker("w1")).orElseThrow();
        queue.starting(lease, "node-1", selection("process"));
        queue.running(lease);
        queue.appendLog(done.id(), 1, Stream.STDOUT, "bye".getBytes(StandardCharsets.UTF_8));
        queue.finish(lease, Outcome.succeeded(0, false)).orElseThrow();

        assertThat(Long.parseLong(redis.cli("PTTL", key("job:" + done.id())))).isBetween(1L, 3000L);
        assertThat(Long.parseLong(redis.cli("PTTL", key("log:" + done.id())))).isBetween(1L, 3000L);
        assertThat(Long.parseLong(redis.cli("PTTL", key("idem:once")))).isBetween(1L, 3000L);
        assertThat(redis.cli("PTTL", key("job:" + waiting.id()))).as("not final: kept").isEqualTo("-1");

        await().atMost(Duration.ofSeconds(10)).until(() -> queue.get(done.id()).isEmpty());
        assertThat(redis.cli("EXISTS", key("log:" + done.id()))).isEqualTo("0");
        assertThat(queue.sweepRetention()).isEqualTo(1);
        assertThat(queue.list(JobQuery.all(10)).jobs()).extracting(Job::id).containsExactly(waiting.id());
        assertThat(queue.countByState().get(JobState.SUCCEEDED)).isZero();
        assertThat(queue.enqueue(spec().idempotencyKey("once").build()).created()).as("the key expired too").isTrue();
    }

    @Test
    void aListDropsFromEveryIndexAQueuedJobWhoseHashWasEvictedAndAnExpiredOneFromItsState() {
        RedisQueueBackend queue = open();
        Job evicted = queue.enqueue(spec().name("evicted").nodeSelector("zone", "r1").build()).job();
        Job expired = queue.enqueue(spec("expired")).job();
        Job kept = queue.enqueue(spec("kept")).job();
        Lease lease = queue.lease(worker("w1")).orElseThrow();
        assertThat(lease.jobId()).isEqualTo(expired.id());
        assertThat(queue.started(lease, "node-1", selection("process"), null)).isTrue();
        queue.finish(lease, Outcome.succeeded(0, false)).orElseThrow();
        redis.cli("DEL", key("job:" + evicted.id()), key("job:" + expired.id())); // evicted; past its retention

        assertThat(queue.list(JobQuery.all(10)).jobs()).extracting(Job::id).containsExactly(kept.id());
        assertThat(redis.cli("ZCARD", key("ready:sel:zone=r1"))).as("the queued one, from its selector's set").isEqualTo("0");
        assertThat(redis.cli("ZRANGE", key("state:QUEUED"), "0", "-1")).isEqualTo(kept.id());
        assertThat(redis.cli("ZCARD", key("state:SUCCEEDED"))).as("the final one, from its state's").isEqualTo("0");
    }

    @Test
    void aRedisThatRefusesWritesAtItsMemoryLimitIsNotReadyThoughItAnswersReads() {
        RedisQueueBackend queue = open();
        Job job = queue.enqueue(spec("kept")).job();
        queue.ping();
        redis.cli("CONFIG", "SET", "maxmemory", "1");
        try {
            assertThat(queue.get(job.id())).as("reads still answered").isPresent();
            // Redis took the functions that read as writes, and refused them: the jobs could be neither listed nor counted
            assertThat(queue.list(JobQuery.all(10)).jobs()).extracting(Job::id).containsExactly(job.id());
            assertThat(queue.countByState().get(JobState.QUEUED)).isEqualTo(1);
            assertThatThrownBy(() -> queue.enqueue(spec("refused"))).isInstanceOf(QueueException.class);
            // it read one key, and said ready while every submit, lease and finish was refused
            assertThatThrownBy(queue::ping).isInstanceOf(QueueException.class).hasMessageContaining("OOM");
        } finally {
            redis.cli("CONFIG", "SET", "maxmemory", "0");
        }
        queue.ping();
        assertThat(Long.parseLong(redis.cli("PTTL", key("ping")))).as("it expires by itself").isPositive();
    }

    @Test
    void aRedisThatEvictsKeysIsWarnedOf() {
        redis.cli("CONFIG", "SET", "maxmemory-policy", "allkeys-lru");
        try {
            List<String> warnings = warningsWhile(() -> open(redis, null, Clock.systemUTC()));
            assertThat(warnings).singleElement().asString().contains("maxmemory-policy allkeys-lru")
                    .contains("set maxmemory-policy noeviction");
        } finally {
            redis.cli("CONFIG", "SET", "maxmemory-policy", "noeviction");
        }
        assertThat(warningsWhile(() -> open(redis, null, Clock.systemUTC()))).isEmpty();
    }

    @Test
    void jobsKeptLongerByOneProcessDoNotHoldUpTheSweepOfThoseAnotherKeepsShorter() {
        RedisQueueBackend keepsAnHour = open(redis, "retention=PT1H", Clock.systemUTC());
        var keeps = new java.util.ArrayList<RedisQueueBackend>();
        List<String> warnings = warningsWhile(() -> keeps.add(RedisQueueBackend.open(
                redis.uri("prefix=" + prefix + "&retention=PT2S&timeout=PT0.5S"), Clock.systemUTC())));
        RedisQueueBackend keepsASecond = keeps.getFirst();
        opened.add(keepsASecond);
        assertThat(warnings).singleElement().asString().contains("retention is PT2S here but PT1H")
                .contains("give every server and agent on one queue the same");
        for (int i = 0; i < 1_100; i++) { // more than one sweep call looks at
            keepsAnHour.cancel(keepsAnHour.enqueue(spec("kept")).job().id());
        }
        Job brief = keepsASecond.enqueue(spec("brief")).job();
        keepsASecond.cancel(brief.id());
        Job older = keepsAnHour.enqueue(spec("scored as before")).job();
        keepsAnHour.cancel(older.id());
        redis.cli("ZADD", key("finished"), "1", older.id()); // as a version that scored by the time it finished

        await().atMost(Duration.ofSeconds(10)).until(() -> keepsASecond.get(brief.id()).isEmpty());

        assertThat(keepsAnHour.sweepRetention()).as("swept").isEqualTo(1);
        assertThat(keepsAnHour.countByState().get(JobState.CANCELLED)).isEqualTo(1_101);
        assertThat(Double.parseDouble(redis.cli("ZSCORE", key("finished"), older.id()))).as("scored again by its expiry")
                .isGreaterThan(System.currentTimeMillis() + Duration.ofMinutes(59).toMillis());
    }

    @Test
    void theStreamsStayBounded() {
        RedisQueueBackend queue = open(redis, "changesMaxLen=100&logMaxLen=5", clock);
        List<Job> heard = new java.util.concurrent.CopyOnWriteArrayList<>();
        opened.add(queue.subscribe(new dev.hangar.core.queue.QueueListener() {
            @Override
            public void jobChanged(Job job) {
                heard.add(job);
            }
        }));
        for (int i = 0; i < 400; i++) {
            queue.enqueue(spec("job-" + i));
        }
        Lease lease = queue.lease(worker("w1")).orElseThrow();
        queue.starting(lease, "node-1", selection("process"));
        queue.running(lease);
        for (int i = 1; i <= 20; i++) {
            queue.appendLog(lease.jobId(), 1, Stream.STDOUT, ("line " + i).getBytes(StandardCharsets.UTF_8));
        }

        // MAXLEN ~ trims whole nodes of 100 entries
        assertThat(Long.parseLong(redis.cli("XLEN", key("changes")))).isLessThanOrEqualTo(200);
        assertThat(redis.cli("XLEN", key("log:" + lease.jobId()))).isEqualTo("5");
        assertThat(queue.readLog(lease.jobId(), 0, 100)).extracting(LogChunk::seq).containsExactly(16L, 17L, 18L, 19L, 20L);
        assertThat(queue.get(lease.jobId()).orElseThrow().outputTruncated()).isTrue();
        assertThat(queue.finish(lease, Outcome.succeeded(0, false)).orElseThrow().outputTruncated()).isTrue();
        assertThat(redis.cli("XLEN", key("leases"))).as("a finished lease leaves no entry").isEqualTo("0");
        await().atMost(Duration.ofSeconds(10)).untilAsserted(() -> assertThat(heard)
                .filteredOn(job -> job.id().equals(lease.jobId()) && job.state() == JobState.SUCCEEDED)
                .singleElement().satisfies(job -> assertThat(job.outputTruncated()).as("listeners hear it").isTrue()));
    }

    @Test
    void outputStoredBeforeChunksCarriedTheirDeliveryIsReadAsDeliveryZero() {
        RedisQueueBackend queue = open();
        Job job = queue.enqueue(spec("older-output")).job();
        // what Hangar wrote before a chunk named its delivery
        redis.cli("XADD", key("log:" + job.id()), "0-1", "attempt", "1", "stream", "out", "data", "old");

        assertThat(queue.readLog(job.id(), 0, 10)).singleElement()
                .satisfies(chunk -> assertThat(chunk.attempt() + "/" + chunk.delivery()).isEqualTo("1/0"));
    }

    // ---- the change feed ---------------------------------------------------------------------

    @Test
    void changesCarryWhatChangedAndAListenerThatJoinsLateStillHearsWholeJobs() {
        RedisQueueBackend writer = open();
        Job early = writer.enqueue(spec("before-the-listener")).job();
        // another process on the same queue, whose listener joins after the job was submitted
        RedisQueueBackend other = RedisQueueBackend.open(redis.uri("prefix=" + prefix), clock);
        opened.add(other);
        List<Job> heard = new java.util.concurrent.CopyOnWriteArrayList<>();
        opened.add(other.subscribe(new dev.hangar.core.queue.QueueListener() {
            @Override
            public void jobChanged(Job job) {
                heard.add(job);
            }
        }));

        Lease lease = writer.lease(worker("w1")).orElseThrow();
        assertThat(writer.started(lease, "node-1", selection("process"), null)).isTrue();
        writer.finish(lease, Outcome.succeeded(0, false));

        await().atMost(Duration.ofSeconds(10)).until(() -> heard.size() == 3);
        assertThat(heard).extracting(Job::state).containsExactly(JobState.SCHEDULED, JobState.RUNNING, JobState.SUCCEEDED);
        assertThat(heard).allSatisfy(job -> {
            assertThat(job.id()).isEqualTo(early.id());
            assertThat(job.spec().name()).isEqualTo("before-the-listener");
            assertThat(job.attempt()).isEqualTo(1);
            assertThat(job.timings().submittedAt()).isEqualTo(early.timings().submittedAt());
        });
        Job done = heard.get(2);
        assertThat(done.node()).as("kept from the change before").isEqualTo("node-1");
        assertThat(done.runtime()).isEqualTo("process");
        assertThat(done.exitCode()).isZero();
        assertThat(done).isEqualTo(writer.get(early.id()).orElseThrow());

        List<String> last = lines(redis.cli("XREVRANGE", key("changes"), "+", "-", "COUNT", "1"));
        assertThat(last).contains("state", "SUCCEEDED", "exitCode", "0").doesNotContain("spec", "node", "token");
    }

    /**
     * A change whose job cannot be read a moment (as when the reader's connection is back before the
     * one jobs are read on) is told once it can be, not skipped with a reset that makes every
     * listener reload.
     */
    @Test
    void aChangeWhoseJobCannotBeReadAMomentIsToldOnceItCanBe() {
        RedisQueueBackend writer = open();
        Job job = writer.enqueue(spec("read-later")).job();
        RedisQueueBackend other = RedisQueueBackend.open(redis.uri("prefix=" + prefix), clock); // it holds no view of the job
        opened.add(other);
        List<Job> heard = new java.util.concurrent.CopyOnWriteArrayList<>();
        List<String> missed = new java.util.concurrent.CopyOnWriteArrayList<>();
        opened.add(other.subscribe(new dev.hangar.core.queue.QueueListener() {
            @Override
            public void jobChanged(Job changed) {
                heard.add(changed);
            }

            @Override
            public void changesMissed(String why) {
                missed.add(why);
            }
        }));
        String hash = key("job:" + job.id());
        redis.cli("RENAME", hash, key("hidden"));
        redis.cli("SET", hash, "not a hash: reading it fails");

        redis.cli("XADD", key("changes"), "*", "job", job.id(), "state", "QUEUED");
        await().pollDelay(Duration.ofMillis(600)).atMost(Duration.ofSeconds(2)).until(() -> true);
        // it was skipped at once, the listeners told to reload
        assertThat(missed).isEmpty();
        assertThat(heard).isEmpty();
        redis.cli("RENAME", key("hidden"), hash); // over the string, in one step: a job gone is told as gone

        await().atMost(Duration.ofSeconds(10)).until(() -> !heard.isEmpty());
        assertThat(heard).singleElement().satisfies(told -> {
            assertThat(told.id()).isEqualTo(job.id());
            assertThat(told.spec().name()).isEqualTo("read-later");
        });
        assertThat(missed).isEmpty();
    }

    @Test
    void aListenerSoFarBehindThatChangesWereTrimmedStillHearsJobsAsTheyAre() throws Exception {
        RedisQueueBackend writer = open(redis, "changesMaxLen=100", clock);
        RedisQueueBackend other = RedisQueueBackend.open(redis.uri("prefix=" + prefix + "&changesMaxLen=100"), clock);
        opened.add(other);
        var stuck = new java.util.concurrent.CountDownLatch(1);
        List<Job> heard = new java.util.concurrent.CopyOnWriteArrayList<>();
        List<String> missed = new java.util.concurrent.CopyOnWriteArrayList<>();
        opened.add(other.subscribe(new dev.hangar.core.queue.QueueListener() {
            @Override
            public void jobChanged(Job job) {
                heard.add(job);
                try {
                    stuck.await(); // the first change holds the reader up while the stream is trimmed
                } catch (InterruptedException e) {
                    Thread.currentThread().interrupt();
                }
            }

            @Override
            public void changesMissed(String why) {
                missed.add(why);
            }
        }));
        Job job = writer.enqueue(spec().name("watched").priority(9).build()).job();
        await().atMost(Duration.ofSeconds(10)).until(() -> !heard.isEmpty());
        Lease lease = writer.lease(worker("w1")).orElseThrow();
        assertThat(writer.started(lease, "node-1", selection("process"), null)).isTrue();
        for (int i = 0; i < 400; i++) {
            writer.enqueue(spec("filler-" + i));
        }
        writer.finish(lease, Outcome.succeeded(0, false));
        stuck.countDown();

        await().atMost(Duration.ofSeconds(10)).until(() -> heard.stream()
                .anyMatch(j -> j.id().equals(job.id()) && j.state() == JobState.SUCCEEDED));
        Job done = heard.stream().filter(j -> j.id().equals(job.id()) && j.state() == JobState.SUCCEEDED)
                .findFirst().orElseThrow();
        assertThat(done.node()).as("set by a change the stream dropped").isEqualTo("node-1");
        assertThat(done).isEqualTo(writer.get(job.id()).orElseThrow());
        assertThat(missed).as("told that changes went untold").singleElement().asString().contains("trimmed");
    }

    // ---- Redis crashes -----------------------------------------------------------------------

    @Test
    void everyAcceptedJobSurvivesARedisKillAndTheSameBackendCarriesOn() throws Exception {
        try (RedisServerProcess durable = RedisServerProcess.start(true)) {
            RedisQueueBackend queue = open(durable, null, clock);
            ContractListener listener = new ContractListener();
            opened.add(queue.subscribe(listener));
            List<String> accepted = new ArrayList<>();
            for (int i = 0; i < 50; i++) {
                accepted.add(queue.enqueue(spec("job-" + i)).job().id());
            }
            Lease held = queue.lease(worker("w1")).orElseThrow();
            queue.starting(held, "node-1", selection("process"));
            queue.running(held);
            // heard before the kill: a change still unread after the restart would read the job
            // afresh before the write below, and the listener would rightly have node-1
            await().atMost(Duration.ofSeconds(10)).untilAsserted(() ->
                    assertThat(listener.events).contains("job " + held.jobId() + " RUNNING"));

            durable.kill();
            durable.restart();

            assertThat(accepted).allSatisfy(id -> assertThat(queue.get(id)).isPresent());
            assertThat(queue.countByState().get(JobState.QUEUED)).isEqualTo(49);
            assertThat(queue.renew(held)).isEqualTo(LeaseStatus.HELD);
            // as if Redis had come back without a write the listeners heard of: they go by what it has
            durable.cli("HSET", key("job:" + held.jobId()), "node", "node-as-redis-has-it");
            assertThat(queue.finish(held, Outcome.succeeded(0, false)).orElseThrow().state())
                    .isEqualTo(JobState.SUCCEEDED);
            await().atMost(Duration.ofSeconds(10)).untilAsserted(() -> assertThat(listener.jobs)
                    .filteredOn(job -> job.id().equals(held.jobId()) && job.state() == JobState.SUCCEEDED)
                    .singleElement().extracting(Job::node).isEqualTo("node-as-redis-has-it"));
            Job after = queue.enqueue(spec().name("after").priority(9).build()).job();
            assertThat(queue.lease(worker("w2")).orElseThrow().jobId()).isEqualTo(after.id());
            await().atMost(Duration.ofSeconds(10)).untilAsserted(() ->
                    assertThat(listener.events).contains("job " + after.id() + " SCHEDULED"));
            assertThat(listener.events).as("told that Redis may have lost what they heard of")
                    .filteredOn(event -> event.startsWith("missed: ")).singleElement().asString()
                    .contains("out of reach");
        }
    }

    /** A queue on {@code server} that has answered a call, and then its Redis killed. */
    private RedisQueueBackend openAndKillItsRedis(RedisServerProcess server, String params) {
        RedisQueueBackend queue = open(server, params, clock);
        queue.ping();
        server.kill();
        return queue;
    }

    @Test
    void aPingFailsWhileRedisIsDownNamingWhereAndAnswersOnceItIsBack() {
        try (RedisServerProcess server = RedisServerProcess.start()) {
            RedisQueueBackend queue = openAndKillItsRedis(server, "timeout=PT1S");
            assertThatThrownBy(queue::ping).isInstanceOf(QueueException.class)
                    .hasMessageContaining("127.0.0.1:" + server.port());
            server.restart();
            await().atMost(Duration.ofSeconds(20)).ignoreExceptions().untilAsserted(queue::ping);
        }
    }

    /**
     * A call waits out a restart (up to 5 s of Redis being away), but once Redis has been out of reach for longer
     * than a restart takes, calls fail at once saying so, rather than each wait its whole timeout
     * (10 s here: an API call, a health check, a dashboard load each took that long to fail).
     */
    @Test
    void callsFailAtOnceSayingSoOnceRedisHasBeenOutOfReachLongerThanARestart() {
        try (RedisServerProcess server = RedisServerProcess.start()) {
            RedisQueueBackend queue = openAndKillItsRedis(server, "timeout=PT10S");
            await().atMost(Duration.ofSeconds(40)).untilAsserted(() -> assertThatThrownBy(queue::ping)
                    .isInstanceOf(QueueException.class)
                    .hasMessageContaining("127.0.0.1:" + server.port())
                    .hasMessageContaining("Redis out of reach for"));
            assertThatThrownBy(() -> queue.enqueue(spec("while-away"))).isInstanceOf(QueueException.class)
                    .hasMessageContaining("Redis out of reach for");

            server.restart();
            await().atMost(Duration.ofSeconds(20)).ignoreExceptions().untilAsserted(queue::ping);
            assertThat(queue.enqueue(spec("back")).created()).isTrue();
        }
    }

    /**
     * A call made just after the connection was lost waits for Redis to come back, but no longer than
     * a restart takes: it used to wait its whole timeout (10 s here) and fail as timed out.
     */
    @Test
    void aCallMadeAsRedisGoesWaitsARestartsTimeNotItsTimeout() {
        try (RedisServerProcess server = RedisServerProcess.start()) {
            RedisQueueBackend queue = openAndKillItsRedis(server, "timeout=PT10S");
            await().atMost(Duration.ofSeconds(10)).until(queue::connectionLost); // a call before is sent, as before

            assertThatThrownBy(queue::ping).isInstanceOf(QueueException.class)
                    .hasMessageContaining("127.0.0.1:" + server.port())
                    .hasMessageMatching("(?s).*Redis out of reach for 5\\.\\d s.*") // the patience, give or take a look
                    .hasMessageNotContaining("timed out");
        }
    }

    /** As before the change above: a call is held back now rather than queued in the client, and still answered. */
    @Test
    void aCallMadeWhileRedisRestartsIsAnsweredOnceItIsBack() throws Exception {
        try (RedisServerProcess server = RedisServerProcess.start()) {
            RedisQueueBackend queue = openAndKillItsRedis(server, "timeout=PT10S");
            var restarted = Thread.ofVirtual().start(server::restart);

            queue.ping(); // waits for the restart rather than fail
            restarted.join();
            assertThat(queue.enqueue(spec("after-restart")).created()).isTrue();
        }
    }

    @Test
    void theQueuesFunctionsAreLoadedAgainWhenRedisLostThem() {
        RedisQueueBackend queue = open();
        Job before = queue.enqueue(spec("before")).job();
        redis.cli("FUNCTION", "FLUSH"); // as a Redis restarted without persistence would have it

        assertThat(queue.enqueue(spec("after")).created()).isTrue();
        assertThat(redis.cli("FUNCTION", "LIST")).contains("hangar_");
        assertThat(queue.lease(worker("w1")).orElseThrow().jobId()).isEqualTo(before.id());
    }

    @Test
    void aProcessWhoseClockIsYearsAheadOfRedisIsRefusedForItsLeasesCouldNeverExpire() {
        Clock farAhead = Clock.fixed(java.time.Instant.now().plus(Duration.ofDays(15 * 365)), java.time.ZoneOffset.UTC);
        assertThatThrownBy(() -> RedisQueueBackend.open(redis.uri("prefix=clock-ahead"), farAhead))
                .isInstanceOf(QueueException.class)
                .hasMessageContaining("days ahead")
                .hasMessageContaining("127.0.0.1:" + redis.port());
    }

    @Test
    void aProcessWhoseClockIsSecondsOffRedisIsWarnedOfLeasesExpiringEarly() {
        assertThat(warningsWhile(() -> open(redis, null, Clock.systemUTC()))).as("in sync").isEmpty();
        assertThat(warningsWhile(() -> open(redis, null, Clock.offset(Clock.systemUTC(), Duration.ofSeconds(-8)))))
                .singleElement().asString().contains("s behind the clock of the queue").contains("expire early");
    }

    /** What the backend warned of while {@code action} ran. */
    private static List<String> warningsWhile(Runnable action) {
        var logger = java.util.logging.Logger.getLogger(RedisQueueBackend.class.getName());
        List<String> warnings = new java.util.concurrent.CopyOnWriteArrayList<>();
        var handler = new java.util.logging.Handler() {
            @Override
            public void publish(java.util.logging.LogRecord record) {
                warnings.add(java.text.MessageFormat.format(record.getMessage(), record.getParameters()));
            }

            @Override
            public void flush() {}

            @Override
            public void close() {}
        };
        logger.addHandler(handler);
        try {
            action.run();
        } finally {
            logger.removeHandler(handler);
        }
        return warnings;
    }

    @Test
    void anUnreachableRedisIsAQueueExceptionNamingTheLocation() throws Exception {
        int port;
        try (var socket = new java.net.ServerSocket(0)) {
            port = socket.getLocalPort();
        }
        URI nowhere = URI.create("redis://127.0.0.1:" + port + "?prefix=x&timeout=PT2S");
        assertThatThrownBy(() -> RedisQueueBackend.open(nowhere, clock))
                .isInstanceOf(QueueException.class)
                .hasMessageContaining("127.0.0.1:" + port);
    }

    // ---- the provider and the location -------------------------------------------------------

    @Test
    void anAclUserConnectsWithItsPasswordAndAWrongOneIsRefusedWithoutBeingShown() throws Exception {
        String user = "hangar-" + TESTS.incrementAndGet();
        // the keys of the queue's prefix alone, as docs/cluster.md tells an operator to give
        redis.cli("ACL", "SETUSER", user, "on", ">s3cret-pw", "~{acl-" + user + "}:*", "&*", "+@all");
        try {
            URI good = URI.create("redis://" + user + ":s3cret-pw@127.0.0.1:" + redis.port() + "?prefix=acl-" + user);
            try (RedisQueueBackend queue = RedisQueueBackend.open(good, clock)) {
                assertThat(queue.enqueue(spec("with-a-password")).created()).isTrue();
                Lease lease = queue.lease(worker("w1")).orElseThrow();
                assertThat(queue.started(lease, "node-1", selection("process"), null)).isTrue();
                queue.finish(lease, Outcome.succeeded(0, false)).orElseThrow();
                assertThat(queue.countByState().get(JobState.SUCCEEDED)).isEqualTo(1);
            }
            URI bad = URI.create("redis://" + user + ":wrong-pw@127.0.0.1:" + redis.port() + "?prefix=acl-" + user
                    + "&timeout=PT2S");
            assertThatThrownBy(() -> RedisQueueBackend.open(bad, clock))
                    .isInstanceOf(QueueException.class)
                    .hasMessageContaining("127.0.0.1:" + redis.port())
                    .satisfies(e -> assertThat(e.getMessage()).doesNotContain("wrong-pw"));
            URI typo = URI.create("redis://" + user + ":s3cret-pw@127.0.0.1:" + redis.port() + "?prefx=x");
            assertThatThrownBy(() -> RedisQueueBackend.open(typo, clock))
                    .isInstanceOf(IllegalArgumentException.class)
                    .hasMessageContaining("prefx")
                    .satisfies(e -> assertThat(e.getMessage()).doesNotContain("s3cret-pw"));
        } finally {
            redis.cli("ACL", "DELUSER", user);
        }
    }


    @Test
    void theProviderOpensRedisLocations() throws Exception {
        QueueBackendProvider provider = ServiceLoader.load(QueueBackendProvider.class).stream()
                .map(ServiceLoader.Provider::get).filter(p -> p.schemes().contains("redis")).findFirst().orElseThrow();
        try (QueueBackend queue = provider.open(redis.uri("prefix=provided&retention=P1D"), clock)) {
            assertThat(queue.name()).isEqualTo("redis");
            assertThat(queue.enqueue(spec("via-provider")).created()).isTrue();
        }
        assertThatThrownBy(() -> provider.open(redis.uri("prefix=x&colour=blue"), clock))
                .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("colour");
        assertThatThrownBy(() -> provider.open(redis.uri("prefix=%7Bx%7D"), clock))
                .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("prefix");
        assertThatThrownBy(() -> provider.open(redis.uri("retention=soon"), clock))
                .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("retention");
        // each bad value named on its own, before anything connects or is written
        assertThatThrownBy(() -> provider.open(redis.uri("retention=PT2562047788015H"), clock))
                .isInstanceOf(IllegalArgumentException.class).hasMessageStartingWith("retention must be from P0D to P3650D");
        assertThatThrownBy(() -> provider.open(redis.uri("timeout=PT99999999999999H"), clock))
                .isInstanceOf(IllegalArgumentException.class).hasMessageStartingWith("timeout must be from PT0.1S to PT1H, got PT99999999999999H");
        assertThatThrownBy(() -> provider.open(redis.uri("timeout=PT0.001S"), clock))
                .isInstanceOf(IllegalArgumentException.class).hasMessageStartingWith("timeout must be from PT0.1S");
        assertThatThrownBy(() -> provider.open(redis.uri("retention=PT5S&timeout=PT4S"), clock))
                .isInstanceOf(IllegalArgumentException.class).hasMessageStartingWith("retention must be P0D (for ever) or"
                        + " longer than the timeout and a second (PT5S)");
        assertThatThrownBy(() -> provider.open(redis.uri("retention=-P1D"), clock))
                .isInstanceOf(IllegalArgumentException.class).hasMessageStartingWith("retention must be from");
        assertThatThrownBy(() -> provider.open(URI.create("redis://127.0.0.1:99999?prefix=x"), clock))
                .isInstanceOf(IllegalArgumentException.class).hasMessage("the port of a redis location must be 1 to 65535, got 99999");
        assertThatThrownBy(() -> provider.open(URI.create("redis://127.0.0.1:" + redis.port() + "/-1?prefix=x"), clock))
                .isInstanceOf(IllegalArgumentException.class).hasMessageStartingWith("the path of a redis location is the database");
        assertThatThrownBy(() -> provider.open(redis.uri("prefix=a&prefix=b"), clock))
                .isInstanceOf(IllegalArgumentException.class).hasMessageStartingWith("prefix is given twice");
        assertThatThrownBy(() -> provider.open(redis.uri("deadMaxLen=99999999999"), clock))
                .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("deadMaxLen must be a whole number from 1 to");
        // a listener tells a trim from a full batch of changes read (ChangeFeed), so the log keeps one
        assertThatThrownBy(() -> provider.open(redis.uri("changesMaxLen=99"), clock))
                .isInstanceOf(IllegalArgumentException.class).hasMessageStartingWith("changesMaxLen must be a whole number from 100 to");
    }

    /** Records job changes as "job ID STATE", and the jobs as told. */
    private static final class ContractListener implements dev.hangar.core.queue.QueueListener {
        final List<String> events = new java.util.concurrent.CopyOnWriteArrayList<>();
        final List<Job> jobs = new java.util.concurrent.CopyOnWriteArrayList<>();

        @Override
        public void jobChanged(Job job) {
            events.add("job " + job.id() + " " + job.state());
            jobs.add(job);
        }

        @Override
        public void changesMissed(String why) {
            events.add("missed: " + why);
        }
    }
}
