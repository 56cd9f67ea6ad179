package dev.hangar.queue.redis;

import static dev.hangar.queue.testkit.TestJobs.selection;
import static dev.hangar.queue.testkit.TestJobs.spec;
import static dev.hangar.queue.testkit.TestJobs.worker;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.assertj.core.api.Assertions.catchThrowableOfType;
import static org.awaitility.Awaitility.await;

import dev.hangar.core.job.Job;
import dev.hangar.core.job.JobState;
import dev.hangar.core.queue.Lease;
import dev.hangar.core.queue.LeaseStatus;
import dev.hangar.core.queue.Outcome;
import dev.hangar.core.queue.QueueException;
import java.net.URI;
import java.time.Clock;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.Executors;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import org.junit.jupiter.api.Test;

/**
 * The queue on a master that Redis Sentinel fails over to its replica, with real processes: a
 * master, a replica and a sentinel. With {@code replicas=1} a job is confirmed only once the replica
 * holds it, so a failover right after loses none.
 */
class RedisSentinelTest {
    private static final Clock CLOCK = Clock.systemUTC();

    @Test
    void theQueueFollowsAFailoverToTheReplicaAndLosesNoJobItConfirmed() throws Exception {
        throughSentinel("prefix=failover&replicas=1&timeout=PT5S", (master, replica, sentinel, queue) -> {
            List<String> confirmed = new ArrayList<>();
            for (int i = 0; i < 100; i++) {
                confirmed.add(queue.enqueue(spec("before-" + i)).job().id());
            }
            Lease lease = queue.lease(worker("w1")).orElseThrow();
            assertThat(queue.started(lease, "node-1", selection("process"), null)).isTrue();
            assertThat(queue.finish(lease, Outcome.succeeded(0, false))).isPresent();

            master.kill(); // right after the confirmations: what they confirmed must be on the replica
            await().atMost(Duration.ofSeconds(30)).pollInterval(Duration.ofMillis(200)).until(() ->
                    replica.cli("ROLE").startsWith("master") && sentinel.cli("SENTINEL", "GET-MASTER-ADDR-BY-NAME",
                            "hangar-main").endsWith(String.valueOf(replica.port())));
            // back after the failover, as a replica of the new master (the sentinel turns it into one), so
            // that writes are held twice again
            master.restart();
            awaitInSync(master);

            // calls fail while the sentinel fails over, and are not confirmed while the new master has
            // no replica; the same backend carries on once it has. A retried submit with an idempotency
            // key returns the job an unconfirmed attempt made, so the retries make one job.
            Job after = await().atMost(Duration.ofSeconds(60)).pollInterval(Duration.ofMillis(200))
                    .ignoreExceptions().until(
                            () -> queue.enqueue(spec().name("after").idempotencyKey("after-failover").build()).job(),
                            job -> job != null);
            assertThat(confirmed).allSatisfy(id -> assertThat(queue.get(id)).as(id).isPresent());
            assertThat(queue.get(lease.jobId()).orElseThrow().state()).isEqualTo(JobState.SUCCEEDED);
            assertThat(queue.countByState().get(JobState.QUEUED)).isEqualTo(100);

            assertThat(QueueRuns.runAll(queue, "w2")).isEqualTo(100);
            assertThat(queue.get(after.id()).orElseThrow().state()).isEqualTo(JobState.SUCCEEDED);
        });
    }

    /**
     * A master cut off without its connections closing, as a host that lost power: the queue's
     * connection to it must close, or it would wait on it for as long as the kernel retries (a quarter
     * of an hour), never asking the sentinel which master to reconnect to.
     */
    @Test
    void theQueueFollowsAFailoverFromAMasterCutOffWithoutItsConnectionsClosing() throws Exception {
        throughSentinel("prefix=cut&timeout=PT2S", (master, replica, sentinel, queue) -> {
            Job before = queue.enqueue(spec("before")).job();
            await().atMost(Duration.ofSeconds(10)).pollInterval(Duration.ofMillis(100)).until(() ->
                    replica.cli("HGET", "{cut}:job:" + before.id(), "state").equals("QUEUED"));
            try (NetworkCut cut = NetworkCut.of(master.port())) {
                await().atMost(Duration.ofSeconds(30)).pollInterval(Duration.ofMillis(200)).until(() ->
                        replica.cli("ROLE").startsWith("master"));
                Job after = await().atMost(Duration.ofSeconds(30)).pollInterval(Duration.ofMillis(200))
                        .ignoreExceptions().until(() -> queue.enqueue(spec("after")).job(), job -> job != null);
                assertThat(replica.cli("HGET", "{cut}:job:" + after.id(), "state")).isEqualTo("QUEUED");
                assertThat(queue.get(before.id())).isPresent();
            }
        });
    }

    @Test
    void aWriteFewerReplicasHeldThanAskedIsNotConfirmedAndARetryWithItsKeyMakesOneJob() throws Exception {
        try (RedisServerProcess master = RedisServerProcess.start();
                RedisServerProcess replica = RedisServerProcess.replicaOf(master)) {
            awaitInSync(replica);
            try (RedisQueueBackend one = RedisQueueBackend.open(master.uri("prefix=wait&replicas=1&timeout=PT2S"), CLOCK);
                    RedisQueueBackend two = RedisQueueBackend.open(master.uri("prefix=wait&replicas=2&timeout=PT1S"), CLOCK);
                    RedisQueueBackend another = RedisQueueBackend.open(master.uri("prefix=wait&replicas=1&timeout=PT2S"), CLOCK)) {
                assertThat(another.enqueue(spec("held-by-one-before")).created()).isTrue();
                assertThat(one.enqueue(spec("held-by-one")).created()).isTrue();
                assertThatThrownBy(() -> two.enqueue(spec("held-by-one-of-two")))
                        .isInstanceOf(QueueException.class)
                        .hasMessageContaining("only 1 of 2 replicas")
                        .hasMessageContaining("master");

                var spec = spec().name("while-the-replica-hangs").idempotencyKey("hung-replica").build();
                replica.pause();
                try {
                    assertThatThrownBy(() -> one.enqueue(spec)).as("a replica that holds nothing confirms nothing")
                            .isInstanceOf(QueueException.class).hasMessageContaining("only 0 of 1 replicas");
                    // another server's retry finds the job and writes nothing: its WAIT must still cover the job,
                    // though that server's own last write, made before, is held
                    assertThatThrownBy(() -> another.enqueue(spec)).as("a retry elsewhere, answered with the job")
                            .isInstanceOf(QueueException.class).hasMessageContaining("only 0 of 1 replicas");
                } finally {
                    replica.resume();
                }
                var retried = await().atMost(Duration.ofSeconds(20)).ignoreExceptions()
                        .until(() -> one.enqueue(spec), enqueued -> enqueued != null);
                assertThat(retried.created()).as("the failed attempt made the job; the retry returns it").isFalse();
                assertThat(replica.cli("HGET", "{wait}:job:" + retried.job().id(), "state")).isEqualTo("QUEUED");
            }
        }
    }

    /** Waited writes go on a connection of their own, to the same server: they too fail at once once it has been away a while. */
    @Test
    void aWaitedWriteFailsAtOnceSayingSoOnceItsRedisHasBeenOutOfReachLongerThanARestart() throws Exception {
        onMasterWithReplica("prefix=away&replicas=1&timeout=PT10S", (master, replica, queue) -> {
            assertThat(queue.enqueue(spec("before")).created()).isTrue();
            master.kill();
            // it used to wait its whole timeout each time, in line behind the waited writes before it
            await().atMost(Duration.ofSeconds(40)).untilAsserted(() -> assertThatThrownBy(() -> queue.enqueue(spec("while-away")))
                    .isInstanceOf(QueueException.class).hasMessageContaining("Redis out of reach for"));
        });
    }

    @Test
    void whileAReplicaIsDownTheWaitedWritesHoldUpNoRenewalLeaseOrRead() throws Exception {
        // WAIT may take 5 s of a 10 s timeout
        onMasterWithReplica("prefix=held&replicas=1&timeout=PT10S", (master, replica, queue) -> {
            queue.enqueue(spec("leased"));
            Lease lease = queue.lease(worker("w1")).orElseThrow();
            for (int i = 0; i < 5; i++) {
                queue.enqueue(spec("leased-while-the-replica-hangs"));
            }
            replica.pause();
            var submitters = Executors.newVirtualThreadPerTaskExecutor();
            var stop = new AtomicBoolean();
            var submitting = new java.util.ArrayList<java.util.concurrent.Future<?>>();
            try {
                for (int i = 0; i < 2; i++) {
                    submitting.add(submitters.submit(() -> {
                        while (!stop.get()) {
                            try {
                                queue.enqueue(spec("while-the-replica-hangs"));
                            } catch (QueueException expected) {
                                // unconfirmed: only 0 of 1 replicas
                            }
                        }
                    }));
                }
                // the submitters are in their WAITs: else nothing here could wait behind one
                org.awaitility.Awaitility.await().atMost(Duration.ofSeconds(5)).until(() ->
                        master.cli("INFO", "clients").lines().anyMatch(line -> line.matches("blocked_clients:[1-9]\\d*")));
                for (int i = 0; i < 5; i++) {
                    long began = System.nanoTime();
                    assertThat(queue.renew(lease)).isEqualTo(LeaseStatus.HELD);
                    assertThat(queue.get(lease.jobId())).isPresent();
                    assertThat(queue.lease(worker("w" + (i + 2)))).as("lease %d", i).isPresent();
                    // why a bound: behind a WAIT each took up to 5 s; a second is room for a slow host
                    assertThat(Duration.ofNanos(System.nanoTime() - began)).as("renew, lease and read %d", i)
                            .isLessThan(Duration.ofSeconds(1));
                }
            } finally {
                stop.set(true);
                replica.resume();
                submitters.shutdown();
                assertThat(submitters.awaitTermination(30, TimeUnit.SECONDS)).isTrue();
            }
            for (var submitter : submitting) {
                submitter.get(); // each ended as stopped, not on a failure other than an unconfirmed write
            }
        });
    }

    @Test
    void aForeignEntryWhoseKeyIsAnotherJobsIsNotLostWhenItsIntakeFailsPartway() throws Exception {
        onMasterWithReplica("prefix=foreign&replicas=1&timeout=PT2S", (master, replica, queue) -> {
            queue.intake(1); // makes the group
            master.cli("XADD", "{foreign}:submit", "*", "command", "[\"echo\",\"a\"]", "idempotencyKey", "k1");
            assertThat(queue.intake(10)).isEqualTo(1);
            String other = master.cli("XADD", "{foreign}:submit", "*", "command", "[\"echo\",\"b\"]",
                    "idempotencyKey", "k1");
            awaitInSync(replica);

            replica.pause(); // the intake's writes are not confirmed: it fails partway
            try {
                assertThatThrownBy(() -> queue.intake(10)).isInstanceOf(QueueException.class)
                        .hasMessageContaining("only 0 of 1 replicas");
            } finally {
                replica.resume();
            }
            await().atMost(Duration.ofSeconds(20)).ignoreExceptions().until(() -> queue.intake(10) >= 0);

            assertThat(queue.deadLetters(10)).as("set aside once, not lost").singleElement().satisfies(dead -> {
                assertThat(dead.field("source")).isEqualTo(other);
                assertThat(dead.field("reason")).startsWith("idempotencyKey: 'k1' is the key of job ");
        });
        assertThat(master.cli("XLEN", "{foreign}:submit")).isEqualTo("0");
        });
    }

    @Test
    void sentinelsThatAskForAPasswordOfTheirOwnAreGivenTheirsAndNotTheMasters() throws Exception {
        try (RedisServerProcess master = RedisServerProcess.start();
                RedisServerProcess sentinel = RedisServerProcess.sentinelOf(master, "guarded", "sentinel+s3cret")) {
            String location = "redis-sentinel://127.0.0.1:" + sentinel.port() + "/?master=guarded&prefix=guarded&timeout=PT5S";
            assertThat(refusal(location, "NOAUTH")).as("no password for the sentinel")
                    .contains("cannot connect to the queue at redis-sentinel://127.0.0.1:" + sentinel.port())
                    .contains("NOAUTH");
            assertThat(refusal(location + "&sentinelPassword=wrong", "WRONGPASS")).as("a wrong password for the sentinel")
                    .contains("WRONGPASS").doesNotContain("wrong");

            // a '+' in the password is a plus, as in the user info
            try (RedisQueueBackend queue = RedisQueueBackend.open(URI.create(location + "&sentinelPassword=sentinel+s3cret"),
                    CLOCK)) {
                String id = queue.enqueue(spec("behind-a-guarded-sentinel")).job().id();
                assertThat(queue.get(id).orElseThrow().state()).isEqualTo(JobState.QUEUED);
                assertThat(master.cli("HGET", "{guarded}:job:" + id, "state")).isEqualTo("QUEUED");
            }

            // the address's sentinel is down; the one the sentinels parameter lists answers
            int down;
            try (var socket = new java.net.ServerSocket(0, 1, java.net.InetAddress.getLoopbackAddress())) {
                down = socket.getLocalPort();
            }
            String listed = "redis-sentinel://127.0.0.1:" + down + "/?master=guarded&prefix=guarded&timeout=PT5S"
                    + "&sentinels=127.0.0.1:" + sentinel.port() + "&sentinelPassword=sentinel+s3cret";
            try (RedisQueueBackend queue = RedisQueueBackend.open(URI.create(listed), CLOCK)) {
                assertThat(queue.enqueue(spec("found-by-a-listed-sentinel")).job().state()).isEqualTo(JobState.QUEUED);
            }
        }
    }

    @Test
    void aSentinelLocationIsCheckedFieldByFieldAndShownWithoutItsPassword() {
        assertThatThrownBy(() -> RedisSettings.parse(URI.create("redis-sentinel://127.0.0.1:26379/?prefix=x")))
                .isInstanceOf(IllegalArgumentException.class).hasMessageStartingWith("master:");
        assertThatThrownBy(() -> RedisSettings.parse(URI.create("redis://127.0.0.1:6379/?master=m")))
                .isInstanceOf(IllegalArgumentException.class).hasMessageStartingWith("master:");
        assertThatThrownBy(() -> RedisSettings.parse(URI.create("redis-sentinel://u:s3cret@a:26379,b:x/?master=m")))
                .isInstanceOf(IllegalArgumentException.class).hasMessageStartingWith("sentinel 2 of 2:")
                .satisfies(e -> assertThat(e.getMessage()).doesNotContain("s3cret"));
        assertThatThrownBy(() -> RedisSettings.parse(URI.create("redis-sentinel://u:s3c/ret@a:26379/?master=m")))
                .as("an unencoded / in the password").isInstanceOf(IllegalArgumentException.class)
                .satisfies(e -> assertThat(e.getMessage()).doesNotContain("s3c"));
        assertThatThrownBy(() -> RedisSettings.parse(URI.create("redis://127.0.0.1:6379/?replicas=-1")))
                .isInstanceOf(IllegalArgumentException.class).hasMessageStartingWith("replicas");

        RedisSettings settings = RedisSettings.parse(URI.create("redis-sentinel://u:s3cret@a:26380,b/2?master=m&prefix=p"));
        assertThat(settings.where()).isEqualTo("redis-sentinel://a:26380,b:26379/2 (master m, prefix p)");
        assertThat(RedisSettings.parse(URI.create("redis-sentinel://[::1]:26380/?master=m")).where())
                .isEqualTo("redis-sentinel://[::1]:26380/0 (master m, prefix hangar)");
        assertThat(RedisSettings.parse(URI.create("redis-sentinel://[::1]/?master=m")).where())
                .isEqualTo("redis-sentinel://[::1]:26379/0 (master m, prefix hangar)");
        assertThat(RedisSettings.parse(URI.create("redis-sentinel://[::1]/?master=m&sentinels=[::2]:26380,%5B::3%5D,c"))
                .where()).as("more sentinels, IPv6 ones too, after the address's")
                .isEqualTo("redis-sentinel://[::1]:26379,[::2]:26380,[::3]:26379,c:26379/0 (master m, prefix hangar)");
        assertThatThrownBy(() -> RedisSettings.parse(URI.create("redis-sentinel://a/?master=m&sentinels=[::2]:26380,")))
                .isInstanceOf(IllegalArgumentException.class).hasMessageStartingWith("sentinel 3 of 3:");
        assertThatThrownBy(() -> RedisSettings.parse(URI.create("redis-sentinel://a/?master=m&sentinels=[::2:26380")))
                .isInstanceOf(IllegalArgumentException.class).hasMessageStartingWith("sentinel 2 of 2:");
        assertThatThrownBy(() -> RedisSettings.parse(URI.create("redis-sentinel://a/?master=m&sentinels=[::2]x:26380")))
                .isInstanceOf(IllegalArgumentException.class).hasMessageStartingWith("sentinel 2 of 2:");
        assertThatThrownBy(() -> RedisSettings.parse(URI.create("redis-sentinel://a/?master=m&sentinels=")))
                .isInstanceOf(IllegalArgumentException.class).hasMessageStartingWith("sentinels:");
        assertThatThrownBy(() -> RedisSettings.parse(URI.create("redis://h:6379/?sentinels=b:26379")))
                .isInstanceOf(IllegalArgumentException.class).hasMessageStartingWith("sentinels:");
        var credentials = RedisSettings.parse(URI.create("redis://u:a+b%2Fc@h:6379")).redis().getCredentialsProvider()
                .resolveCredentials().block();
        assertThat(new String(credentials.getPassword())).as("a + in a password is a plus").isEqualTo("a+b/c");
        assertThat(settings.redis().getSentinelMasterId()).isEqualTo("m");
        assertThat(RedisQueueBackend.shown(URI.create("redis-sentinel://u:s3cret@a:26380,b/2?master=m")))
                .isEqualTo("redis-sentinel://***@a:26380,b/2?master=m");

        RedisSettings guarded = RedisSettings.parse(URI.create(
                "redis-sentinel://u:s3cret@a,b/?master=m&sentinelUser=watch&sentinelPassword=w%2Fatch+1"));
        assertThat(guarded.redis().getSentinels()).allSatisfy(sentinel -> {
            var login = sentinel.getCredentialsProvider().resolveCredentials().block();
            assertThat(login.getUsername()).isEqualTo("watch");
            assertThat(new String(login.getPassword())).as("the sentinels' own, not the master's").isEqualTo("w/atch+1");
        });
        var master = guarded.redis().getCredentialsProvider().resolveCredentials().block();
        assertThat(new String(master.getPassword())).isEqualTo("s3cret");
        assertThat(RedisSettings.parse(URI.create("redis-sentinel://u:s3cret@a/?master=m")).redis().getSentinels())
                .as("no sentinel password: the master's is not sent to the sentinels")
                .allSatisfy(sentinel -> assertThat(sentinel.getCredentialsProvider().resolveCredentials().block()
                        .hasPassword()).isFalse());
        assertThat(RedisQueueBackend.shown(URI.create("redis-sentinel://a/?master=m&sentinelPassword=w%2Fatch&prefix=p")))
                .isEqualTo("redis-sentinel://a/?master=m&sentinelPassword=***&prefix=p");
        assertThatThrownBy(() -> RedisSettings.parse(URI.create("redis://h:6379/?sentinelPassword=s3cret")))
                .isInstanceOf(IllegalArgumentException.class).hasMessageStartingWith("sentinelPassword:")
                .satisfies(e -> assertThat(e.getMessage()).doesNotContain("s3cret"));
        assertThatThrownBy(() -> RedisSettings.parse(URI.create("redis-sentinel://a/?master=m&sentinelUser=watch")))
                .isInstanceOf(IllegalArgumentException.class).hasMessageStartingWith("sentinelUser:");
        assertThatThrownBy(() -> RedisSettings.parse(URI.create("redis-sentinel://a/?master=m&sentinelPassword=")))
                .isInstanceOf(IllegalArgumentException.class).hasMessageStartingWith("sentinelPassword:");
        assertThatThrownBy(() -> RedisSettings.parse(URI.create("redis-sentinel://a/?master=m&sentinelPasword=s3cret")))
                .as("a misspelt parameter").isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("unknown parameter(s) [sentinelPasword]")
                .satisfies(e -> assertThat(e.getMessage()).doesNotContain("s3cret"));
    }

    @Test
    void aPasswordThatShouldHaveBeenPercentEncodedIsNotShownEither() {
        for (String slip : List.of("/", "?", "#")) {
            assertThat(RedisQueueBackend.shown(URI.create("redis://:s3" + slip + "cr3t@host:6379")))
                    .as(slip + " in the user info").isEqualTo("redis://***@host:6379");
        }
        assertThat(RedisQueueBackend.shown(URI.create("redis-sentinel://a/?master=m&sentinelPassword=s3&cr3t&prefix=p")))
                .isEqualTo("redis-sentinel://a/?master=m&sentinelPassword=***&prefix=p");
        for (String location : List.of("redis://:s3/cr3t@host:6379", "redis://:s3?cr3t@host:6379",
                "redis-sentinel://a/?master=m&sentinelPassword=s3&cr3t", "redis-sentinel://a/?master=m&sentinelPassword=s3&cr3t=x",
                "redis://:s3#cr3t@host:6379", "redis-sentinel://:s3?cr3t&x@a/?master=m", "redis-sentinel://:s3/cr3t@a/?master=m",
                "redis-sentinel://a/?master=m&sentinelPasswd=s3cr3t", "redis-sentinel://a/?master=m&password=s3cr3t")) {
            assertThatThrownBy(() -> RedisSettings.parse(URI.create(location))).as(location)
                    .isInstanceOf(IllegalArgumentException.class)
                    .satisfies(e -> assertThat(e.getMessage()).doesNotContain("cr3t").doesNotContain("zz"));
        }
        assertThatThrownBy(() -> RedisSettings.parse(URI.create("redis-sentinel://a/?master=m&sentinelPassword=s3&cr3t=x")))
                .hasMessageContaining("unknown parameter(s) [] and 1 after sentinelPassword, not shown")
                .hasMessageContaining("%26");
        assertThatThrownBy(() -> RedisSettings.parse(URI.create("redis-sentinel://a/?colour=red&master=m&sentinelPassword=s")))
                .as("a name before the password is shown").hasMessageContaining("unknown parameter(s) [colour] in");
    }

    /** A sentinel learns of replicas from the master's INFO; with none known it cannot fail over. */
    /**
     * The message of a connect that must fail, tried until it gives this reason (at most 5 times):
     * Lettuce closes the connection when its handshake is refused, and on a busy host it now and then
     * reports that close ("Connection closed prematurely") in place of the server's reply.
     */
    private static String refusal(String location, String reason) {
        String message = "";
        for (int attempt = 0; attempt < 5 && !message.contains(reason); attempt++) {
            QueueException refused = catchThrowableOfType(QueueException.class,
                    () -> RedisQueueBackend.open(URI.create(location), CLOCK).close());
            assertThat(refused).as("the connect to " + location + " failed").isNotNull();
            message = refused.getMessage();
        }
        return message;
    }

    /** A test on a master with one replica, the queue on the master with these location parameters. */
    private interface WithReplica {
        void run(RedisServerProcess master, RedisServerProcess replica, RedisQueueBackend queue) throws Exception;
    }

    /** Starts a master and a replica, waits until they are in sync, opens the queue on the master and runs {@code test}. */
    private static void onMasterWithReplica(String params, WithReplica test) throws Exception {
        try (RedisServerProcess master = RedisServerProcess.start();
                RedisServerProcess replica = RedisServerProcess.replicaOf(master)) {
            awaitInSync(replica);
            try (RedisQueueBackend queue = RedisQueueBackend.open(master.uri(params), CLOCK)) {
                test.run(master, replica, queue);
            }
        }
    }

    /** A test on a master, its replica and a sentinel watching them, the queue found through the sentinel. */
    private interface WithSentinel {
        void run(RedisServerProcess master, RedisServerProcess replica, RedisServerProcess sentinel, RedisQueueBackend queue)
                throws Exception;
    }

    /** Starts a master, a replica and a sentinel, opens the queue through it with these location parameters and runs {@code test}. */
    private static void throughSentinel(String params, WithSentinel test) throws Exception {
        try (RedisServerProcess master = RedisServerProcess.start();
                RedisServerProcess replica = RedisServerProcess.replicaOf(master);
                RedisServerProcess sentinel = RedisServerProcess.sentinelOf(master, "hangar-main")) {
            awaitSentinelSeesTheReplica(sentinel, replica);
            URI location = URI.create("redis-sentinel://127.0.0.1:" + sentinel.port() + "/?master=hangar-main&" + params);
            try (RedisQueueBackend queue = RedisQueueBackend.open(location, CLOCK)) {
                test.run(master, replica, sentinel, queue);
            }
        }
    }

    private static void awaitSentinelSeesTheReplica(RedisServerProcess sentinel, RedisServerProcess replica) {
        await().atMost(Duration.ofSeconds(30)).pollInterval(Duration.ofMillis(200)).until(() ->
                sentinel.cli("SENTINEL", "REPLICAS", "hangar-main").contains(String.valueOf(replica.port())));
        awaitInSync(replica);
    }

    /** The replica has made its first full copy and follows its master (until then WAIT counts it out). */
    static void awaitInSync(RedisServerProcess replica) {
        await().atMost(Duration.ofSeconds(30)).pollInterval(Duration.ofMillis(100))
                .until(() -> replica.cli("INFO", "replication").contains("master_link_status:up"));
    }
}
