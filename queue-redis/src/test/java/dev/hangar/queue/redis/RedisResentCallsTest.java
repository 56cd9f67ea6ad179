package dev.hangar.queue.redis;

import static dev.hangar.queue.testkit.TestJobs.selection;
import static dev.hangar.queue.testkit.TestJobs.spec;
import static dev.hangar.queue.testkit.TestJobs.worker;
import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import dev.hangar.core.job.Job;
import dev.hangar.core.job.JobState;
import dev.hangar.core.queue.Lease;
import dev.hangar.core.queue.Outcome;
import dev.hangar.core.runtime.OutputSink.Stream;
import dev.hangar.queue.testkit.MutableClock;
import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.Supplier;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * A call whose reply the connection lost after Redis ran it: Lettuce reconnects and sends it again,
 * and the second run must answer as the first did instead of doing the work twice. Each test cuts
 * one reply with a relay between the backend and Redis and checks that it was cut and sent again.
 */
class RedisResentCallsTest extends RedisServerTest {
    private static final AtomicInteger TESTS = new AtomicInteger();

    private final MutableClock clock = MutableClock.at("2030-01-01T00:00:00Z");
    private ReplyCuttingRelay relay;
    private RedisQueueBackend queue;
    private String prefix;

    @BeforeEach
    void openThroughTheRelay() throws Exception {
        relay = new ReplyCuttingRelay(redis.port());
        prefix = "resent-" + TESTS.incrementAndGet();
        queue = RedisQueueBackend.open(URI.create("redis://127.0.0.1:" + relay.port() + "?prefix=" + prefix), clock);
    }

    @AfterEach
    void close() throws Exception {
        queue.close();
        relay.close();
    }

    /** The next call's reply is lost; the call must have been sent again on a new connection. */
    private <T> T withItsReplyLost(Supplier<T> call) {
        int connections = relay.connections();
        int cuts = relay.cuts();
        long calls = functionCalls();
        relay.cutNextReply();
        T result = call.get();
        assertThat(relay.cuts()).as("replies cut").isEqualTo(cuts + 1);
        assertThat(relay.connections()).as("connections (a reconnect sent the call again)").isGreaterThan(connections);
        assertThat(functionCalls() - calls).as("script calls run, the first and the one sent again").isEqualTo(2);
        return result;
    }

    /**
     * An intake whose call of the function named by {@code function} (one of several it makes) loses its reply,
     * checked to have been cut and sent again on a new connection; returns what the intake took in.
     */
    private int intakeWithTheReplyOfItsLost(String function) {
        int connections = relay.connections();
        int cuts = relay.cuts();
        relay.cutReplyTo(function);
        int taken = queue.intake(10);
        assertThat(relay.cuts()).as("replies cut").isEqualTo(cuts + 1);
        assertThat(relay.connections()).as("connections (a reconnect sent the call again)").isGreaterThan(connections);
        return taken;
    }

    /** FCALLs the redis-server ran so far. */
    private static long functionCalls() {
        return redis.cli("INFO", "commandstats").lines().filter(line -> line.startsWith("cmdstat_fcall:"))
                .map(line -> line.replaceAll("^cmdstat_fcall:calls=(\\d+),.*", "$1")).mapToLong(Long::parseLong).findFirst().orElse(0);
    }

    @Test
    void aLeaseSentAgainIsTheSameLeaseAndLeavesTheNextJobQueued() {
        Job first = queue.enqueue(spec("first")).job();
        Job second = queue.enqueue(spec("second")).job();

        Lease lease = withItsReplyLost(() -> queue.lease(worker("w1"))).orElseThrow();

        assertThat(lease.jobId()).isEqualTo(first.id());
        assertThat(queue.get(first.id()).orElseThrow().deliveries()).isEqualTo(1);
        assertThat(queue.get(second.id()).orElseThrow().state()).as("not leased by the call sent again")
                .isEqualTo(JobState.QUEUED);
        assertThat(queue.started(lease, "node-1", selection("process"), null)).as("the lease works").isTrue();
    }

    @Test
    void aStartAFinishAndOutputSentAgainAreRecordedOnce() {
        queue.enqueue(spec("job"));
        Lease lease = queue.lease(worker("w1")).orElseThrow();

        assertThat(withItsReplyLost(() -> queue.started(lease, "node-1", selection("process"), null)))
                .as("started, sent again").isTrue();
        assertThat(withItsReplyLost(() -> queue.appendLog(lease, 1, Stream.STDOUT, "once\n".getBytes(StandardCharsets.UTF_8))))
                .as("output, sent again").isTrue();
        Job finished = withItsReplyLost(() -> queue.finish(lease, Outcome.succeeded(0, false))).orElseThrow();

        assertThat(finished.state()).isEqualTo(JobState.SUCCEEDED);
        assertThat(queue.readLog(lease.jobId(), 0, 10)).as("the chunk is stored once").hasSize(1);
        assertThat(redis.cli("HGET", "{" + prefix + "}:job:" + lease.jobId(), "finishes")).isEqualTo("1");
    }

    @Test
    void aFinishAndLeaseSentAgainRecordsTheOutcomeOnceAndLeasesOneJob() {
        queue.enqueue(spec("a"));
        Job b = queue.enqueue(spec("b")).job();
        Job c = queue.enqueue(spec("c")).job();
        Lease a = queue.lease(worker("w1")).orElseThrow();
        assertThat(queue.started(a, "node-1", selection("process"), null)).isTrue();

        Lease next = withItsReplyLost(() -> queue.finishAndLease(a, Outcome.succeeded(0, false), worker("w1")))
                .orElseThrow();

        assertThat(queue.get(a.jobId()).orElseThrow().state()).isEqualTo(JobState.SUCCEEDED);
        assertThat(next.jobId()).isEqualTo(b.id());
        assertThat(queue.get(c.id()).orElseThrow().state()).as("not leased by the call sent again")
                .isEqualTo(JobState.QUEUED);
        Map<JobState, Long> counts = queue.countByState();
        assertThat(counts.get(JobState.SCHEDULED)).isEqualTo(1);
    }

    @Test
    void aMalformedEntrySetAsideByACallSentAgainIsDeadLetteredOnce() {
        String key = "{" + prefix + "}:";
        redis.cli("XADD", key + "submit", "*", "command", "not json");
        redis.cli("XADD", key + "submit", "*", "command", "[\"true\"]");

        assertThat(intakeWithTheReplyOfItsLost("_dead_letter")).isEqualTo(2);

        assertThat(queue.deadLetters(10)).singleElement()
                .satisfies(dead -> assertThat(dead.field("reason")).startsWith("command:"));
        assertThat(queue.countByState().get(JobState.QUEUED)).as("the queue flows on").isEqualTo(1);
        assertThat(redis.cli("XLEN", key + "submit")).isEqualTo("0");
        assertThat(queue.submitEntriesSetAside()).as("counted once, not lost with the reply").isEqualTo(1);
    }

    @Test
    void anEntryTooLargeSetAsideByAReadSentAgainIsCountedOnce() {
        String key = "{" + prefix + "}:";
        var client = io.lettuce.core.RedisClient.create(redis.uri().toString());
        try (var connection = client.connect()) {
            connection.sync().xadd(key + "submit", "command", "[\"true\"]", "stdin",
                    "x".repeat(WireFormat.MAX_ENTRY_BYTES)); // (more than a command line takes)
        } finally {
            client.shutdown();
        }
        redis.cli("XADD", key + "submit", "*", "command", "[\"true\"]");

        assertThat(intakeWithTheReplyOfItsLost("_intake_read")).isEqualTo(2);

        assertThat(queue.deadLetters(10)).as("set aside once").hasSize(1);
        assertThat(queue.submitEntriesSetAside()).as("counted, not lost with the reply").isEqualTo(1);
        assertThat(queue.countByState().get(JobState.QUEUED)).as("the queue flows on").isEqualTo(1);
    }

    @Test
    void aCancelSentAgainReturnsOnlyOnceThisProcessesListenersHeardOfIt() {
        Job job = queue.enqueue(spec("to-cancel")).job();
        Lease lease = queue.lease(worker("w1")).orElseThrow();
        assertThat(queue.started(lease, "node-1", selection("process"), null)).isTrue();
        var heard = new java.util.concurrent.atomic.AtomicBoolean();
        queue.subscribe(new dev.hangar.core.queue.QueueListener() {
            @Override
            public void jobChanged(Job changed) {
                if (changed.id().equals(job.id()) && changed.cancelRequested()) {
                    try {
                        Thread.sleep(300); // an agent slow to take it in
                    } catch (InterruptedException e) {
                        Thread.currentThread().interrupt();
                    }
                    heard.set(true);
                }
            }
        });

        assertThat(withItsReplyLost(() -> queue.cancel(job.id()))).isPresent();

        // the call sent again found the cancel made, and returned at once: the agent heard of it later
        assertThat(heard).as("heard before the cancel returned").isTrue();
    }

    @Test
    void aJobGivenBackAndLeasedByAnotherWorkerBeforeTheCallIsSentAgainStillSaysItWasGivenBack() throws Exception {
        Job job = queue.enqueue(spec("given-back")).job();
        Lease lease = queue.lease(worker("w1")).orElseThrow();
        relay.holdConnections();
        relay.cutReplyTo("_settle"); // giveBack reads the job first, then settles it
        var givenBack = java.util.concurrent.CompletableFuture.supplyAsync(() -> queue.giveBack(lease, "sandbox failed"));
        try (RedisQueueBackend other = RedisQueueBackend.open(redis.uri("prefix=" + prefix), clock)) {
            await().atMost(Duration.ofSeconds(10)).until(() -> relay.cuts() == 1);
            Lease taken = await().atMost(Duration.ofSeconds(10)).until(() -> other.lease(worker("w2")),
                    java.util.Optional::isPresent).orElseThrow();
            assertThat(taken.jobId()).as("leased again meanwhile").isEqualTo(job.id());
        } finally {
            relay.letConnectionsThrough();
        }

        assertThat(givenBack.get(15, TimeUnit.SECONDS)).as("the call sent again says it gave the job back").isPresent();
        assertThat(queue.get(job.id()).orElseThrow().deliveries()).isEqualTo(2);
    }

    @Test
    void aSubmitSentAgainSaysItCreatedTheJob() {
        var enqueued = withItsReplyLost(() -> queue.enqueue(spec("submitted")));

        assertThat(enqueued.created()).as("the first run created it").isTrue();
        assertThat(queue.countByState().get(JobState.QUEUED)).isEqualTo(1);
    }
}
