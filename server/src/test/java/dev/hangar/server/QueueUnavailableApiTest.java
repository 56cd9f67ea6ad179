package dev.hangar.server;

import static org.assertj.core.api.Assertions.assertThat;

import dev.hangar.core.queue.QueueBackend;
import dev.hangar.core.queue.QueueException;
import java.lang.reflect.Proxy;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Duration;
import java.util.List;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/** A queue that is away (Redis restarting, failing over) answers 503 with Retry-After, saying why. */
class QueueUnavailableApiTest {
    private static final String WHY = "queue at redis://10.0.0.5:6379/0 (prefix hangar): enqueue.lua failed: Connection refused";

    private final HttpClient http = HttpClient.newHttpClient();
    private HangarServer server;

    /** A queue whose every call fails as a Redis that is away fails; subscribing (at start-up) works. */
    private static QueueBackend away() {
        return queue(new QueueException(WHY, null));
    }

    /** A queue that is up, but whose every call other than a ping fails with this. */
    private static QueueBackend queue(RuntimeException failure) {
        return (QueueBackend) Proxy.newProxyInstance(QueueBackend.class.getClassLoader(), new Class<?>[] {QueueBackend.class},
                (proxy, method, args) -> switch (method.getName()) {
                    case "subscribe" -> (AutoCloseable) () -> { };
                    case "ping" -> failure instanceof QueueException ? throwIt(failure) : null;
                    case "name" -> "away";
                    case "toString" -> "a queue that is away";
                    case "hashCode" -> System.identityHashCode(proxy);
                    case "equals" -> proxy == args[0];
                    default -> throw failure;
                });
    }

    private static Object throwIt(RuntimeException failure) {
        throw failure;
    }

    @BeforeEach
    void start() {
        server = new HangarServer(away(), new TestNode()).start("127.0.0.1", 0);
    }

    @AfterEach
    void stop() {
        server.close();
    }

    private HttpResponse<String> send(HttpRequest.Builder request) throws Exception {
        return http.send(request.build(), HttpResponse.BodyHandlers.ofString());
    }

    private HttpRequest.Builder request(String path) {
        return HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + server.port() + path));
    }

    @Test
    void aSubmitAndAListWhileTheQueueIsAwayAre503WithRetryAfterAndTheReason() throws Exception {
        var submit = send(request("/v1/jobs").header("Content-Type", "application/json")
                .POST(HttpRequest.BodyPublishers.ofString("{\"command\": [\"true\"]}")));
        var list = send(request("/v1/jobs").GET());

        for (var response : List.of(submit, list)) {
            assertThat(response.statusCode()).as(response.body()).isEqualTo(503);
            assertThat(response.headers().firstValue("Retry-After")).hasValue("1");
            assertThat(response.headers().firstValue("Content-Type")).hasValueSatisfying(
                    type -> assertThat(type).startsWith("application/problem+json"));
            assertThat(response.body()).contains("Queue unavailable").contains("Connection refused");
        }
    }

    @Test
    void theServerIsAliveButNotReadyWhileTheQueueIsAway() throws Exception {
        var health = send(request("/healthz").GET());
        assertThat(health.statusCode()).as("liveness: restarting the server would not bring the queue back").isEqualTo(200);
        assertThat(health.body()).contains("\"queue\":\"unavailable: ").contains("Connection refused")
                .doesNotContain("\"jobs\"");

        var ready = send(request("/readyz").GET());
        assertThat(ready.statusCode()).isEqualTo(503);
        assertThat(ready.headers().firstValue("Retry-After")).hasValue("1");
        assertThat(ready.body()).contains("Connection refused");
        assertThat(send(request("/readyz").HEAD()).statusCode()).as("a probe by HEAD hears it too").isEqualTo(503);
    }

    @Test
    void theLivenessProbeAnswersAtOnceWhileTheQueueTakesItsTimeoutToFail() throws Exception {
        server.close();
        var released = new java.util.concurrent.CountDownLatch(1);
        var calls = new java.util.concurrent.atomic.AtomicInteger();
        QueueBackend hanging = (QueueBackend) Proxy.newProxyInstance(QueueBackend.class.getClassLoader(),
                new Class<?>[] {QueueBackend.class}, (proxy, method, args) -> switch (method.getName()) {
                    case "subscribe" -> (AutoCloseable) () -> { };
                    case "name" -> "hanging";
                    case "hashCode" -> System.identityHashCode(proxy);
                    case "equals" -> proxy == args[0];
                    case "toString" -> "a queue whose calls wait their timeout";
                    default -> {
                        calls.incrementAndGet();
                        released.await(); // as a call to a Redis gone silent, until its command timeout
                        throw new QueueException("timed out (test)", null);
                    }
                });
        server = new HangarServer(hanging, new TestNode()).start("127.0.0.1", 0);
        try {
            // it answered when the call did, after its timeout (here: never, the request's own timeout failing the
            // test): a liveness probe of a second failed meanwhile
            for (int probe = 0; probe < 3; probe++) {
                var health = send(request("/healthz").timeout(Duration.ofSeconds(20)).GET());
                assertThat(health.statusCode()).isEqualTo(200);
                assertThat(health.body()).contains("\"queue\":\"unavailable: the job queue did not answer within 500 ms");
            }
            // each probe left a call behind it, for as long as the queue took to answer each
            assertThat(calls.get()).as("calls to the queue under way").isEqualTo(1);
        } finally {
            released.countDown();
        }
    }

    @Test
    void onAServerWithTokensOnlyAnAdminHearsWhereTheQueueIsAndWhy() throws Exception {
        server.close();
        dev.hangar.server.auth.TokenLookup tokens = token -> switch (token) {
            case "ops" -> java.util.Optional.of(new dev.hangar.server.auth.Caller("ops", true));
            case "team" -> java.util.Optional.of(new dev.hangar.server.auth.Caller("team", false));
            default -> java.util.Optional.empty();
        };
        server = new HangarServer(away(), new TestNode(), java.util.Optional.of(tokens)).start("127.0.0.1", 0);

        for (var response : List.of(send(request("/readyz").GET()), send(request("/healthz").GET()),
                send(request("/v1/jobs").header("Authorization", "Bearer team").GET()))) {
            assertThat(response.body()).as(response.uri().toString()).contains("the job queue does not answer")
                    .doesNotContain("10.0.0.5").doesNotContain("Connection refused");
        }
        assertThat(send(request("/readyz").header("Authorization", "Bearer ops").GET()).body()).contains(WHY);
        assertThat(send(request("/v1/jobs").header("Authorization", "Bearer ops").GET()).body()).contains(WHY);
    }

    @Test
    void aTenantWhoseSubmitWasMadeButNotConfirmedIsToldItMayHaveBeenMadeNotThatTheQueueIsAway() throws Exception {
        server.close();
        dev.hangar.server.auth.TokenLookup tokens = token -> token.equals("team")
                ? java.util.Optional.of(new dev.hangar.server.auth.Caller("team", false)) : java.util.Optional.empty();
        var unconfirmed = new dev.hangar.core.queue.UnconfirmedWriteException("enqueue.lua was written on the master, but"
                + " only 0 of 1 replicas held it within 1000 ms: it is lost should the master fail now");
        server = new HangarServer(queue(unconfirmed), new TestNode(), java.util.Optional.of(tokens)).start("127.0.0.1", 0);

        var response = send(request("/v1/jobs").header("Authorization", "Bearer team")
                .header("Content-Type", "application/json").POST(HttpRequest.BodyPublishers.ofString("{\"command\":[\"true\"]}")));
        assertThat(response.statusCode()).isEqualTo(503);
        assertThat(response.body()).contains("may have been made").contains("idempotencyKey")
                .doesNotContain("does not answer").doesNotContain("replicas held it");
    }

    @Test
    void theReadinessProbePingsTheQueueRatherThanCountingEveryJob() throws Exception {
        server.close();
        server = new HangarServer(queue(new IllegalStateException("a probe counted the jobs")), new TestNode())
                .start("127.0.0.1", 0);
        var ready = send(request("/readyz").GET());
        assertThat(ready.statusCode()).as(ready.body()).isEqualTo(200);
        assertThat(send(request("/readyz").HEAD()).statusCode()).isEqualTo(200);
    }

    @Test
    void aStoreThatStillCountsButRefusesWritesIsToldUnavailableToAnAdminToo() throws Exception {
        server.close();
        var readsOnly = (QueueBackend) Proxy.newProxyInstance(QueueBackend.class.getClassLoader(),
                new Class<?>[] {QueueBackend.class}, (proxy, method, args) -> switch (method.getName()) {
                    case "subscribe" -> (AutoCloseable) () -> { };
                    case "ping" -> throwIt(new QueueException("the store could not be written: disk full", null));
                    case "countByState" -> java.util.Map.of();
                    case "name" -> "full";
                    default -> throw new QueueException("the store could not be written: disk full", null);
                });
        server = new HangarServer(readsOnly, new TestNode()).start("127.0.0.1", 0);

        // a server without tokens takes every caller for its admin, whose health counted the jobs and said "up"
        var health = send(request("/healthz").GET());
        assertThat(health.body()).contains("\"queue\":\"unavailable: ").contains("disk full").doesNotContain("\"jobs\"");
        assertThat(send(request("/readyz").GET()).statusCode()).isEqualTo(503);
    }

    @Test
    void aReadinessProbeAsksTheQueueAtMostOnceASecondWhileItAnswers() throws Exception {
        server.close();
        var pinged = new java.util.concurrent.atomic.AtomicInteger();
        var queue = (QueueBackend) Proxy.newProxyInstance(QueueBackend.class.getClassLoader(),
                new Class<?>[] {QueueBackend.class}, (proxy, method, args) -> switch (method.getName()) {
                    case "subscribe" -> (AutoCloseable) () -> { };
                    case "ping" -> pinged.incrementAndGet();
                    case "name" -> "pinged";
                    default -> throw new QueueException("not this test's", null);
                });
        server = new HangarServer(queue, new TestNode()).start("127.0.0.1", 0);

        long began = System.nanoTime();
        for (int i = 0; i < 10; i++) {
            assertThat(send(request("/readyz").GET()).statusCode()).isEqualTo(200);
        }
        // each wrote to Redis: anyone may probe, as often as they like
        long seconds = (System.nanoTime() - began) / HealthCheck.READY_KEPT.toNanos();
        assertThat(pinged.get()).as("pings in %d s", seconds + 1).isLessThanOrEqualTo((int) seconds + 1);
    }
}
