package dev.hangar.server;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.hangar.client.EventStream;
import dev.hangar.client.HangarApiException;
import dev.hangar.client.HangarClient;
import dev.hangar.core.job.Job;
import dev.hangar.core.job.JobSpec;
import dev.hangar.core.job.JobState;
import dev.hangar.core.pool.PoolSpec;
import dev.hangar.core.queue.JobQuery;
import dev.hangar.queue.sqlite.SqliteQueueBackend;
import dev.hangar.server.auth.ApiTokens;
import dev.hangar.server.auth.TokensFile;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Clock;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** A server with API tokens: each tenant sees and touches only its own jobs; an admin sees all. */
class TenantApiTest {
    private static final String A = "token-of-team-a-0123456789";
    private static final String B = "token-of-team-b-0123456789";
    private static final String OPS = "token-of-the-operators-0123";
    private static final Duration WAIT = Duration.ofSeconds(10);

    @TempDir
    Path dir;
    private SqliteQueueBackend queue;
    private HangarServer server;
    private Path tokens;
    private HangarClient open;
    private final TestNode node = new TestNode();
    private final HttpClient http = HttpClient.newHttpClient();

    @BeforeEach
    void start() throws Exception {
        Path tokens = Files.writeString(dir.resolve("tokens"), """
                # tenant token [admin]
                team-a %s
                team-b %s
                ops    %s admin
                """.formatted(A, ApiTokens.hashed(B), OPS));
        queue = SqliteQueueBackend.open(dir.resolve("hangar.db"), Clock.systemUTC());
        this.tokens = tokens;
        // looked at on every call, as a server's file is each second
        server = new HangarServer(queue, node, Optional.of(TokensFile.open(tokens, Duration.ZERO))).start("127.0.0.1", 0);
        open = new HangarClient(URI.create("http://127.0.0.1:" + server.port()));
        node.local.join(); // a node event, which every tenant sees
    }

    @AfterEach
    void stop() {
        server.close();
        queue.close();
    }

    private HangarClient as(String token) {
        return open.withToken(token);
    }

    private HttpResponse<String> get(String path, String authorization) throws Exception {
        var request = HttpRequest.newBuilder(URI.create(open.url() + path));
        if (authorization != null) {
            request.header("Authorization", authorization);
        }
        return http.send(request.build(), HttpResponse.BodyHandlers.ofString());
    }

    @Test
    void aHeadOfAnApiRouteIsRefusedRatherThanAnswered200WithoutAToken() throws Exception {
        // it said Allow: GET of every path, a POST-only one too
        Map<String, String> allowed = Map.of("/v1/jobs", "GET, POST", "/v1/jobs/missing", "GET, DELETE", "//v1/nodes", "GET",
                "/metrics", "GET", "/metrics/", "GET", "/v1/explain", "POST");
        allowed.forEach((path, methods) -> {
            HttpResponse<String> answer = head(path);
            assertThat(answer.statusCode()).as(path).isEqualTo(405);
            assertThat(answer.headers().firstValue("Allow")).as(path).contains(methods);
        });
        assertThat(head("/v1/no-such-path").statusCode()).isEqualTo(404);
    }

    private HttpResponse<String> head(String path) {
        try {
            return http.send(HttpRequest.newBuilder(URI.create(open.url() + path))
                    .method("HEAD", HttpRequest.BodyPublishers.noBody()).build(), HttpResponse.BodyHandlers.ofString());
        } catch (java.io.IOException | InterruptedException e) {
            throw new AssertionError(path, e);
        }
    }

    @Test
    void aMethodOverrideHeaderIsRefusedAndCancelsNothing() throws Exception {
        Job job = as(A).submit(JobSpec.of("true"));
        HttpResponse<String> answer = http.send(HttpRequest.newBuilder(URI.create(open.url() + "/v1/jobs/" + job.id()))
                .header("Authorization", "Bearer " + A).header("X-HTTP-Method-Override", "DELETE").GET().build(),
                HttpResponse.BodyHandlers.ofString());
        assertThat(answer.statusCode()).as(answer.body()).isEqualTo(400);
        assertThat(answer.body()).contains("\"field\":\"X-HTTP-Method-Override\"");
        assertThat(queue.get(job.id()).orElseThrow().state()).isEqualTo(JobState.QUEUED);
    }

    @Test
    void aCallWithoutAKnownBearerTokenIsRefusedNamingAuthorization() throws Exception {
        for (String authorization : new String[] {null, "Bearer not-a-token-of-this-server", "Basic " + A, "Bearer"}) {
            HttpResponse<String> answer = get("/v1/jobs", authorization);
            assertThat(answer.statusCode()).as(authorization).isEqualTo(401);
            assertThat(answer.headers().firstValue("WWW-Authenticate")).hasValue("Bearer realm=\"hangar\"");
            assertThat(answer.body()).contains("\"field\":\"Authorization\"");
        }
        assertThat(get("/v1/jobs", "Bearer " + A).statusCode()).isEqualTo(200);
        // a path written another way that still reaches a route is that route
        for (String path : new String[] {"//v1/jobs", "/v1//jobs", "/v1/jobs/", "/%76%31/jobs", "/v1/./jobs", "/metrics/"}) {
            assertThat(get(path, null).statusCode()).as(path).isIn(400, 401, 404);
        }
        assertThat(get("/v1/jobs", "bearer  " + B).statusCode()).as("the scheme's case, spaces").isEqualTo(200);
        // what holds no tenant's data needs no token
        assertThat(get("/healthz", null).statusCode()).isEqualTo(200);
        // its count of jobs counts every tenant's: for an admin alone
        assertThat(get("/healthz", null).body()).doesNotContain("\"jobs\"");
        assertThat(get("/healthz", "Bearer " + A).body()).doesNotContain("\"jobs\"");
        assertThat(get("/healthz", "Bearer " + OPS).body()).contains("\"jobs\"").contains("\"queue\":\"up\"");
        assertThat(get("/readyz", null).statusCode()).isEqualTo(200);
        assertThat(get("/openapi.yaml", null).statusCode()).isEqualTo(200);
        assertThat(get("/metrics", null).statusCode()).isEqualTo(401);
    }

    @Test
    void eachTenantSeesListsAndCancelsItsOwnJobsAlone() throws Exception {
        Job ofA = as(A).submit(JobSpec.of("echo", "a"));
        Job ofB = as(B).submit(JobSpec.of("echo", "b"));
        assertThat(ofA.spec().tenant()).isEqualTo("team-a");
        assertThat(ofB.spec().tenant()).isEqualTo("team-b");

        assertThat(as(A).list(Set.of(), null, 50).jobs()).extracting(Job::id).containsExactly(ofA.id());
        assertThat(as(B).list(Set.of(), null, 50).jobs()).extracting(Job::id).containsExactly(ofB.id());
        assertThat(as(OPS).list(Set.of(), null, 50).jobs()).extracting(Job::id).containsExactly(ofB.id(), ofA.id());
        assertThat(get("/v1/jobs?tenant=team-a", "Bearer " + OPS).body()).contains(ofA.id()).doesNotContain(ofB.id());

        // another tenant's job is as unknown as a missing one: not found, not forbidden
        assertThat(statusOf(() -> as(B).get(ofA.id()))).isEqualTo(404);
        assertThat(statusOf(() -> as(B).cancel(ofA.id()))).isEqualTo(404);
        assertThat(statusOf(() -> as(B).logs(ofA.id(), false, 0, chunk -> {}))).isEqualTo(404);
        assertThat(queue.get(ofA.id()).orElseThrow().state()).as("left alone").isEqualTo(JobState.QUEUED);
        HttpResponse<String> othersList = get("/v1/jobs?tenant=team-a", "Bearer " + B);
        assertThat(othersList.statusCode()).isEqualTo(403);
        assertThat(othersList.body()).contains("\"field\":\"tenant\"");

        assertThat(as(A).get(ofA.id()).id()).isEqualTo(ofA.id());
        assertThat(as(OPS).cancel(ofB.id()).state()).isEqualTo(JobState.CANCELLED);
    }

    @Test
    void aTenantMayNotSubmitAsAnotherAndAnAdminMay() {
        HangarApiException refused = org.assertj.core.api.Assertions.catchThrowableOfType(HangarApiException.class,
                () -> as(B).submit(JobSpec.builder().command("true").tenant("team-a").build()));
        assertThat(refused.status()).isEqualTo(403);
        assertThat(refused.problem().errors()).extracting(e -> e.field()).containsExactly("tenant");
        assertThat(queue.list(JobQuery.all(10)).jobs()).as("nothing stored").isEmpty();

        assertThat(as(B).submit(JobSpec.builder().command("true").tenant("team-b").build()).spec().tenant())
                .isEqualTo("team-b");
        assertThat(as(OPS).submit(JobSpec.builder().command("true").tenant("team-a").build()).spec().tenant())
                .isEqualTo("team-a");
        assertThat(as(OPS).submit(JobSpec.of("true")).spec().tenant()).isEqualTo("ops");
    }

    @Test
    void twoTenantsUsingOneIdempotencyKeyMakeTwoJobs() {
        JobSpec keyed = JobSpec.builder().command("true").idempotencyKey("nightly-2030-01-01").build();
        Job ofA = as(A).submit(keyed);
        Job ofB = as(B).submit(keyed);
        assertThat(ofB.id()).isNotEqualTo(ofA.id());
        assertThat(as(A).submit(keyed).id()).as("a repeat within a tenant").isEqualTo(ofA.id());
    }

    @Test
    void anEventStreamCarriesTheCallersJobsAloneAndTakesItsTokenInTheQuery() throws Exception {
        Job ofB = as(B).submit(JobSpec.of("echo", "b"));
        Job ofA = as(A).submit(JobSpec.of("echo", "a"));

        // as a browser's EventSource, which cannot send headers, does
        try (EventStream stream = EventStream.open(http,
                URI.create(open.url() + "/v1/events?lastEventId=0&access_token=" + A), Map.of())) {
            assertThat(stream.status()).isEqualTo(200);
            List<EventStream.Event> seen = stream.until(e -> e.data().contains(ofA.id()), WAIT);
            assertThat(seen).isNotEmpty().noneMatch(e -> e.data().contains(ofB.id()));
            assertThat(seen).anyMatch(e -> e.event().equals("node"));
        }
        try (EventStream stream = as(OPS).events("0")) {
            List<EventStream.Event> seen = stream.until(e -> e.data().contains(ofA.id()), WAIT);
            assertThat(seen).anyMatch(e -> e.data().contains(ofB.id()));
        }
        assertThatThrownBy(() -> open.events("0")).isInstanceOfSatisfying(HangarApiException.class,
                e -> assertThat(e.status()).isEqualTo(401));
    }

    @Test
    void anEventStreamEndsOnceItsTokenIsRevokedFromTheFileAndCannotBeOpenedAgain() throws Exception {
        try (EventStream stream = as(A).events(null)) {
            assertThat(stream.status()).isEqualTo(200);
            Files.writeString(tokens, "ops " + OPS + " admin\n");
            as(OPS).submit(JobSpec.of("true")); // an event, which wakes the stream
            assertThat(stream.ended(WAIT)).as("the stream of a revoked token ends").isTrue();
        }
        assertThatThrownBy(() -> as(A).events(null)).isInstanceOfSatisfying(HangarApiException.class,
                e -> assertThat(e.status()).isEqualTo(401));
    }

    @Test
    void aCallerAndTheServerHoldBoundedStreamsAndAStreamWhoseClientWentIsGivenBack() throws Exception {
        server.close();
        server = new HangarServer(queue, node, Optional.of(TokensFile.open(tokens, Duration.ZERO)), new StreamSlots(2, 3))
                .start("127.0.0.1", 0);
        open = new HangarClient(URI.create("http://127.0.0.1:" + server.port()));
        Job queued = as(A).submit(JobSpec.of("true")); // no agent here: it stays queued, and a follow of it lasts
        String follow = "/v1/jobs/" + queued.id() + "/logs?follow=true";
        try (EventStream first = as(A).events(null); EventStream second = as(A).events(null)) {
            assertThat(List.of(first.status(), second.status())).containsExactly(200, 200);

            HttpResponse<String> third = limited(follow, A);
            assertThat(third.statusCode()).as("a log follow is a stream too").isEqualTo(429);
            assertThat(third.headers().firstValue("Retry-After")).hasValue("5");
            assertThat(third.body()).contains("tenant team-a").contains("2 streams open");
            assertThat(limited("/v1/jobs/" + queued.id() + "/logs", A).statusCode())
                    .as("a read of the output that does not follow ends, and takes no slot").isEqualTo(200);

            try (EventStream ofB = as(B).events(null)) {
                assertThat(ofB.status()).as("another tenant has slots of its own").isEqualTo(200);
                HttpResponse<String> overTotal = limited(follow, OPS);
                assertThat(overTotal.statusCode()).isEqualTo(429);
                assertThat(overTotal.body()).contains("this server has 3 streams open");
            }
        }
        // the server finds a client gone when it writes to it (the first write after a close may still
        // be taken by the socket): events its streams carry
        org.awaitility.Awaitility.await().atMost(WAIT).ignoreException(HangarApiException.class).untilAsserted(() -> {
            as(A).submit(JobSpec.of("true"));
            try (EventStream again = as(A).events(null)) {
                assertThat(again.status()).isEqualTo(200);
            }
        });
    }

    /** A GET of a stream that is expected to be refused: one that is not ends the test rather than blocking it. */
    private HttpResponse<String> limited(String path, String token) throws Exception {
        return http.send(HttpRequest.newBuilder(URI.create(open.url() + path)).header("Authorization", "Bearer " + token)
                .timeout(WAIT).build(), HttpResponse.BodyHandlers.ofString());
    }

    @Test
    void aTokenGivenTwiceIsRefusedRatherThanOneOfThemTaken() throws Exception {
        HttpResponse<String> twoHeaders = http.send(HttpRequest.newBuilder(URI.create(open.url() + "/v1/jobs"))
                .header("Authorization", "Bearer " + A).header("Authorization", "Bearer " + B).GET().build(),
                HttpResponse.BodyHandlers.ofString());
        assertThat(twoHeaders.statusCode()).isEqualTo(400);
        assertThat(twoHeaders.body()).contains("\"field\":\"Authorization\"").contains("more than once");
        HttpResponse<String> twoInQuery = get("/v1/jobs?access_token=" + B + "&access_token=" + A, null);
        assertThat(twoInQuery.statusCode()).isEqualTo(400);
        assertThat(twoInQuery.body()).contains("\"field\":\"access_token\"").contains("more than once");
        HttpResponse<String> bothWays = get("/v1/jobs?access_token=" + B, "Bearer " + A);
        assertThat(bothWays.statusCode()).isEqualTo(400);
        assertThat(bothWays.body()).contains("\"field\":\"access_token\"").contains("give one token");
    }

    @Test
    void anUnknownTokenIsBlamedOnWhereItCameFrom() throws Exception {
        HttpResponse<String> inQuery = get("/v1/jobs?access_token=not-a-token", null);
        assertThat(inQuery.statusCode()).isEqualTo(401);
        assertThat(inQuery.body()).contains("\"field\":\"access_token\"").contains("not known here");
        HttpResponse<String> inHeader = get("/v1/jobs", "Bearer not-a-token");
        assertThat(inHeader.statusCode()).isEqualTo(401);
        assertThat(inHeader.body()).contains("\"field\":\"Authorization\"").contains("not known here");
    }

    @Test
    void anAdminsListOfATenantNoJobCanHaveIsRefusedAndExplainKeepsToTheCallersTenantAsSubmitDoes() throws Exception {
        HttpResponse<String> list = get("/v1/jobs?tenant=NOT_VALID", "Bearer " + OPS);
        assertThat(list.statusCode()).isEqualTo(400);
        assertThat(list.body()).contains("\"field\":\"tenant\"");

        HttpResponse<String> explained = http.send(HttpRequest.newBuilder(URI.create(open.url() + "/v1/explain"))
                .header("Authorization", "Bearer " + A).header("Content-Type", "application/json")
                .POST(HttpRequest.BodyPublishers.ofString("{\"command\":[\"true\"],\"tenant\":\"team-b\"}")).build(),
                HttpResponse.BodyHandlers.ofString());
        assertThat(explained.statusCode()).as(explained.body()).isEqualTo(403);
        assertThat(explained.body()).contains("\"field\":\"tenant\"");
        assertThat(as(A).explainJson("{\"command\":[\"true\"],\"tenant\":\"team-a\"}").reason()).as("its own tenant: explained")
                .isNotBlank();
    }

    @Test
    void aTokenInTheQueryOfAnythingButAGetIsRefused() throws Exception {
        HttpResponse<String> answer = http.send(HttpRequest.newBuilder(URI.create(open.url() + "/v1/jobs?access_token=" + A))
                .POST(HttpRequest.BodyPublishers.ofString("{\"command\":[\"true\"]}")).build(), HttpResponse.BodyHandlers.ofString());
        assertThat(answer.statusCode()).isEqualTo(400);
        assertThat(answer.body()).contains("\"field\":\"access_token\"");
        assertThat(queue.list(JobQuery.all(10)).jobs()).isEmpty();
    }

    @Test
    void poolsAndMetricsAreForAdmins() throws Exception {
        assertThat(statusOf(() -> as(A).putPool(new PoolSpec("warm", "process", null, null, null, 1, null, null, null, null))))
                .isEqualTo(403);
        assertThat(statusOf(() -> as(A).removePool("warm"))).isEqualTo(403);
        assertThat(get("/metrics", "Bearer " + A).statusCode()).isEqualTo(403);
        assertThat(get("/metrics", "Bearer " + OPS).statusCode()).isEqualTo(200);
        assertThat(as(A).nodes()).extracting(n -> n.name()).containsExactly("n1");
    }

    private static int statusOf(org.assertj.core.api.ThrowableAssert.ThrowingCallable call) {
        return org.assertj.core.api.Assertions.catchThrowableOfType(HangarApiException.class, call).status();
    }
}
