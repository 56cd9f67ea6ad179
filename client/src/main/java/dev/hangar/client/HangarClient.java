package dev.hangar.client;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.core.type.TypeReference;
import com.fasterxml.jackson.databind.JavaType;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectReader;
import dev.hangar.core.cluster.DrainAsk;
import dev.hangar.core.cluster.LabelAsk;
import dev.hangar.core.cluster.NodeInfo;
import dev.hangar.core.select.Selection;
import dev.hangar.core.api.Problem;
import dev.hangar.core.job.Job;
import dev.hangar.core.job.JobSpec;
import dev.hangar.core.job.JobState;
import dev.hangar.core.json.Json;
import dev.hangar.core.pool.PoolList;
import dev.hangar.core.pool.PoolSpec;
import dev.hangar.core.pool.PoolStatus;
import dev.hangar.core.queue.JobPage;
import dev.hangar.core.queue.JobQuery;
import dev.hangar.core.queue.LogChunk;
import dev.hangar.core.runtime.RuntimeStatus;
import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStream;
import java.io.InputStreamReader;
import java.net.URI;
import java.net.URLEncoder;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.function.Consumer;
import java.util.stream.Collectors;

/** Java client of the Hangar REST API. Thread-safe. */
public final class HangarClient {
    public static final String DEFAULT_URL = "http://127.0.0.1:7070";
    /**
     * How long a follow may hear nothing before it takes its stream for cut: three of the server's
     * keep-alives, which come every 15 s of a quiet job.
     */
    static final Duration FOLLOW_IDLE = Duration.ofSeconds(45);
    /** How often a follow cut short tries the server again. */
    private static final Duration RECONNECT_EVERY = Duration.ofMillis(500);
    private static final int TOO_MANY_STREAMS = 429;
    /** How often a follow refused a stream reads the output without one. */
    private static final Duration STREAMS_BUSY_POLL = Duration.ofSeconds(1);

    /**
     * Answers are read leniently, unlike requests: a field a newer server adds, or one an older
     * server lacks, is not a reason to fail a call.
     */
    private static final ObjectReader ANSWERS = Json.lenient();
    /**
     * How long a call waits for its whole answer, headers and body, unless told otherwise; an output or event stream,
     * for its headers.
     */
    public static final Duration CALL_TIMEOUT = Duration.ofSeconds(60);

    private final URI base;
    private final Duration callTimeout;
    private final Duration followIdle;
    /** The API token sent with every request, or null for a server that needs none. */
    private final String token;
    /**
     * Shared with the copies {@link #withToken} and {@link #withCallTimeout} make: each a client of its own was a
     * selector thread and a pool of connections for every copy, a new connection for each call made through one.
     */
    private final HttpClient http;

    public HangarClient(URI base) {
        this(base, CALL_TIMEOUT);
    }

    /** {@code callTimeout}: how long a call (all but output and event streams) waits for its answer. */
    public HangarClient(URI base, Duration callTimeout) {
        this(base, callTimeout, null);
    }

    /** {@code token}: the API token to send ({@code Authorization: Bearer}), or null for a server that needs none. */
    public HangarClient(URI base, Duration callTimeout, String token) {
        this(base, callTimeout, token, FOLLOW_IDLE);
    }

    /** {@code followIdle}: how long a followed stream may carry nothing before it is taken for cut. */
    HangarClient(URI base, Duration callTimeout, String token, Duration followIdle) {
        this(base, callTimeout, token, followIdle, HttpClient.newBuilder()
                .version(HttpClient.Version.HTTP_1_1) // why: no h2c upgrade dance on plain http
                .connectTimeout(Duration.ofSeconds(5)).build());
    }

    private HangarClient(URI base, Duration callTimeout, String token, Duration followIdle, HttpClient http) {
        this.base = URI.create(base.toString().replaceAll("/+$", ""));
        this.callTimeout = callTimeout;
        this.token = token == null || token.isBlank() ? null : token.strip();
        // why here, not at the first call: the JDK refuses such a header quoting it whole, into a log perhaps
        if (this.token != null && this.token.chars().anyMatch(Character::isISOControl)) {
            throw new IllegalArgumentException("token: holds a control character (a line break, say); give the token"
                    + " alone");
        }
        this.followIdle = followIdle;
        this.http = http;
    }

    /** This client, whose calls wait this long for an answer; it shares this one's connections. */
    public HangarClient withCallTimeout(Duration callTimeout) {
        return new HangarClient(base, callTimeout, token, followIdle, http);
    }

    /** This client, sending {@code token} (null: none) with every request; it shares this one's connections. */
    public HangarClient withToken(String token) {
        return new HangarClient(base, callTimeout, token, followIdle, http);
    }

    public URI url() {
        return base;
    }

    /** Submits a job; returns it as stored (QUEUED, or the earlier job with the same idempotency key). */
    public Job submit(JobSpec spec) {
        return submitJson(Json.write(spec));
    }

    /**
     * Which runtime the nodes would give a job spec (JSON text, exactly as written) and why not the
     * others, without running it ({@code POST /v1/explain}).
     */
    public Selection explainJson(String json) {
        return explain(json).selection();
    }

    /** As {@link #explainJson}, with why a submit would leave the job waiting in the queue, if it would. */
    public Explanation explain(String json) {
        var request = request("/v1/explain").header("Content-Type", "application/json")
                .POST(HttpRequest.BodyPublishers.ofString(json)).build();
        JsonNode shown = send(request, JsonNode.class);
        return new Explanation(fromTree(request, shown, Selection.class), waiting(shown));
    }

    /** Submits a job spec given as JSON text, exactly as written. */
    public Job submitJson(String json) {
        var request = request("/v1/jobs").header("Content-Type", "application/json")
                .POST(HttpRequest.BodyPublishers.ofString(json)).build();
        return send(request, Job.class);
    }

    public Job get(String id) {
        return status(id).job();
    }

    /** The job with why it waits, if it is queued and no node that is up can run it. */
    public JobStatus status(String id) {
        HttpRequest request = request("/v1/jobs/" + segment("job id", id)).GET().build();
        return statusOf(request, send(request, JsonNode.class));
    }

    /** A job as the API shows it, {@code waiting} and all. */
    private JobStatus statusOf(HttpRequest request, JsonNode shown) {
        return new JobStatus(fromTree(request, shown, Job.class), waiting(shown));
    }

    /** An answer's {@code waiting} (a job's, a runtime's, an explanation's), or null. */
    private static String waiting(JsonNode answer) {
        JsonNode waiting = answer.get("waiting");
        return waiting == null || waiting.isNull() ? null : waiting.asText();
    }

    /** The answer's tree as {@code type}; a tree of another shape is an answer that cannot be read. */
    private <T> T fromTree(HttpRequest request, JsonNode tree, Class<T> type) {
        try {
            return ANSWERS.forType(type).readValue(tree);
        } catch (JsonProcessingException e) {
            throw unreadable(request, e);
        } catch (IOException e) {
            throw new java.io.UncheckedIOException(e); // a tree in memory: no I/O
        }
    }

    public JobPage list(Set<JobState> states, String cursor, int limit) {
        return list(states, cursor, limit, null);
    }

    /** A page of jobs; {@code tenant}: only that tenant's (an admin token's filter), or null for all the token sees. */
    public JobPage list(Set<JobState> states, String cursor, int limit, String tenant) {
        StatusPage page = listStatuses(new JobQuery(states, cursor, limit, tenant));
        return new JobPage(page.jobs().stream().map(JobStatus::job).toList(), page.nextCursor());
    }

    /** As {@link #list}, each job with why it waits, if it is queued and no node that is up can run it. */
    public StatusPage listStatuses(Set<JobState> states, String cursor, int limit, String tenant) {
        return listStatuses(new JobQuery(states, cursor, limit, tenant));
    }

    /**
     * As {@link #list}, by every filter of the API (a node's jobs too), each job with why it waits, if it is
     * queued and no node that is up can run it.
     */
    public StatusPage listStatuses(JobQuery filter) {
        var query = new StringBuilder("?limit=").append(filter.pageSize());
        if (filter.tenant() != null) {
            query.append("&tenant=").append(encode(filter.tenant()));
        }
        if (filter.node() != null) {
            query.append("&node=").append(encode(filter.node()));
        }
        if (!filter.states().isEmpty()) {
            query.append("&state=").append(filter.states().stream().map(Enum::name).collect(Collectors.joining(",")));
        }
        if (filter.cursor() != null) {
            query.append("&cursor=").append(encode(filter.cursor()));
        }
        HttpRequest request = request("/v1/jobs" + query).GET().build();
        JsonNode shown = send(request, JsonNode.class);
        JobPage page = fromTree(request, shown, JobPage.class); // an answer of another shape fails here, as before
        if (page.jobs() == null) {
            throw unreadable(request, "it has no jobs", null);
        }
        var jobs = new java.util.ArrayList<JobStatus>();
        for (int i = 0; i < page.jobs().size(); i++) {
            jobs.add(new JobStatus(page.jobs().get(i), waiting(shown.path("jobs").path(i))));
        }
        return new StatusPage(List.copyOf(jobs), page.nextCursor());
    }

    public Job cancel(String id) {
        return send(request("/v1/jobs/" + segment("job id", id)).DELETE().build(), Job.class);
    }

    public List<RuntimeStatus> runtimes() {
        return runtimeEntries().stream().map(RuntimeEntry::status).toList();
    }

    /** As {@link #runtimes}, each with why jobs for it would wait, if no node that is up has it. */
    public List<RuntimeEntry> runtimeEntries() {
        HttpRequest request = request("/v1/runtimes").GET().build();
        JsonNode shown = send(request, JsonNode.class);
        if (!shown.isArray()) {
            throw unreadable(request, "it is not a list of runtimes", null);
        }
        var entries = new java.util.ArrayList<RuntimeEntry>();
        for (JsonNode runtime : shown) {
            entries.add(new RuntimeEntry(fromTree(request, runtime, RuntimeStatus.class), waiting(runtime)));
        }
        return List.copyOf(entries);
    }

    /** The nodes alive now, with their capacity, load and runtimes. */
    public List<NodeInfo> nodes() {
        return send(request("/v1/nodes").GET().build(), new TypeReference<List<NodeInfo>>() {});
    }

    /** The asks to drain kept now, of nodes up or not (a node that is not up comes back drained); none in one-JVM mode. */
    public List<DrainAsk> drainAsks() {
        return send(request("/v1/nodes/drains").GET().build(), new TypeReference<List<DrainAsk>>() {});
    }

    /**
     * Asks a node of the cluster to drain: to take no more jobs while those it runs finish, e.g. before
     * its maintenance (an admin's call). The node as it stands: its {@link NodeInfo#drain} ASKED until its
     * heartbeat says it has seen the ask, DRAINED once it runs no job. The ask stays, through the node's
     * restarts, until {@link #resumeNode}.
     */
    public NodeInfo drainNode(String name) {
        return send(request(nodePath(name, "drain")).PUT(HttpRequest.BodyPublishers.noBody()).build(), NodeInfo.class);
    }

    /** Takes back a drain ask: the node takes jobs again. The node as it stands; empty for a node not up. */
    public Optional<NodeInfo> resumeNode(String name) {
        return nodeOrNone(request(nodePath(name, "drain")).DELETE().build());
    }

    /**
     * Gives a node of the cluster these labels, all of them, in place of those it was started with (an
     * admin's call); they stay, through the node's restarts, until changed or {@link #resetNodeLabels}.
     * The node as it stands: it takes them at its next heartbeat, when {@link NodeInfo#labels} shows them.
     */
    public NodeInfo setNodeLabels(String name, Map<String, String> labels) {
        return send(request(nodePath(name, "labels")).header("Content-Type", "application/json")
                .PUT(HttpRequest.BodyPublishers.ofString(Json.write(Map.of("labels", labels)))).build(), NodeInfo.class);
    }

    /**
     * Sets a node's labels given with a value and takes away those given with null, the others kept, in
     * one step against any other change (an admin's call). The labels it is asked to have from now on:
     * it takes them at its next heartbeat, when {@link NodeInfo#labels} shows them.
     */
    public LabelAsk changeNodeLabels(String name, Map<String, String> changes) {
        var body = Json.mapper().createObjectNode();
        var labels = body.putObject("labels");
        // as a tree, so that a null (a label taken away) is written, not left out as a record's would be
        changes.forEach((key, value) -> {
            if (value == null) {
                labels.putNull(key);
            } else {
                labels.put(key, value);
            }
        });
        return send(request(nodePath(name, "labels")).header("Content-Type", "application/json")
                .method("PATCH", HttpRequest.BodyPublishers.ofString(Json.write(body))).build(), LabelAsk.class);
    }

    /** Gives a node its own labels again (those it was started with). The node as it stands; empty for a node not up. */
    public Optional<NodeInfo> resetNodeLabels(String name) {
        return nodeOrNone(request(nodePath(name, "labels")).DELETE().build());
    }

    /** The labels nodes are asked to have in place of their own, of nodes up or not; none in one-JVM mode. */
    public List<LabelAsk> labelAsks() {
        return send(request("/v1/nodes/labels").GET().build(), new TypeReference<List<LabelAsk>>() {});
    }


    /** The node a call answered with; empty for 204, a node not up. */
    private Optional<NodeInfo> nodeOrNone(HttpRequest request) {
        HttpResponse<byte[]> response = whole(request, HttpResponse.BodyHandlers.ofByteArray());
        if (response.statusCode() == 204) {
            return Optional.empty();
        }
        return Optional.of(parse(request, response, Json.mapper().constructType(NodeInfo.class)));
    }

    /** {@code /v1/nodes/NAME/WHAT}: a node's drain or labels. */
    private String nodePath(String name, String what) {
        return "/v1/nodes/" + segment("node name", name) + "/" + what;
    }

    /** The warm pools of the node behind this server, and their memory budget. */
    public PoolList pools() {
        return send(request("/v1/pools").GET().build(), PoolList.class);
    }

    /** Creates or changes the pool named in the spec. */
    public PoolStatus putPool(PoolSpec spec) {
        var request = request("/v1/pools/" + segment("pool name", spec.name())).header("Content-Type", "application/json")
                .PUT(HttpRequest.BodyPublishers.ofString(Json.write(spec))).build();
        return send(request, PoolStatus.class);
    }

    /** Removes a pool; returns it as it was. */
    public PoolStatus removePool(String name) {
        return send(request("/v1/pools/" + segment("pool name", name)).DELETE().build(), PoolStatus.class);
    }

    /**
     * True when anything answers at this address, a server whose queue is away (503) or slow to
     * answer too: false only when nothing listens there (or it cannot be reached to connect).
     */
    public boolean answers() {
        try {
            whole(request("/healthz").timeout(Duration.ofSeconds(2)).GET().build(), HttpResponse.BodyHandlers.discarding());
            return true;
        } catch (HangarUnreachableException e) {
            return e.serverThere(); // connected, and its answer is slow: a server is there
        }
    }

    /** True when a server answers {@code /healthz}. */
    public boolean healthy() {
        try {
            var request = request("/healthz").timeout(Duration.ofSeconds(2)).GET().build();
            return whole(request, HttpResponse.BodyHandlers.discarding()).statusCode() == 200;
        } catch (HangarUnreachableException e) {
            return false;
        }
    }

    /**
     * Calls {@code onChunk} for each output chunk after {@code afterSeq}; with {@code follow}, returns
     * when the job is final or the stream is cut short (the server stopped, its queue went away):
     * {@link #follow} picks a cut stream up again.
     */
    public void logs(String id, boolean follow, long afterSeq, Consumer<LogChunk> onChunk) {
        logs(id, follow, afterSeq, onChunk, () -> { });
    }

    /** As above; {@code onAnswered} runs once the server answered with the stream. */
    private void logs(String id, boolean follow, long afterSeq, Consumer<LogChunk> onChunk, Runnable onAnswered) {
        var request = stream("/v1/jobs/" + segment("job id", id) + "/logs?format=ndjson&follow=" + follow + "&after="
                + afterSeq).GET().build();
        // why bounded: a follow's reconnect to a host that took the connection and went quiet would wait for ever
        HttpResponse<InputStream> response = HeadersWithin.answer(http, request, base, callTimeout);
        if (response.statusCode() / 100 == 2) {
            onAnswered.run();
        }
        // why the cutoff closes the body itself: closing a reader waits for the read it would end
        try (InputStream in = body(response);
                var reader = new BufferedReader(new InputStreamReader(in, StandardCharsets.UTF_8));
                var cutoff = new IdleCutoff(in, follow ? followIdle : callTimeout)) {
            String line;
            while ((line = reader.readLine()) != null) {
                cutoff.heard(); // a blank line is the server's keep-alive of a quiet follow
                if (!line.isBlank()) {
                    LogChunk chunk;
                    try {
                        chunk = ANSWERS.forType(LogChunk.class).readValue(line);
                    } catch (JsonProcessingException e) {
                        if (reader.readLine() == null) {
                            // the stream's last line, cut: a connection closed mid-chunk (a stream sent without
                            // chunking ends at EOF alone), which a read picks up again after the last chunk seen
                            throw new HangarUnreachableException(base, e);
                        }
                        throw e;
                    }
                    cutoff.whileHandling(() -> onChunk.accept(chunk));
                }
            }
        } catch (JsonProcessingException e) {
            throw unreadable(request, e);
        } catch (IOException e) {
            throw new HangarUnreachableException(base, e);
        }
    }

    /**
     * Follows a job's output to its end, calling {@code onChunk} for each chunk after {@code afterSeq}
     * once, and returns the job once final. A stream cut short (the server restarted, its queue away
     * for a while) is picked up again after the last chunk seen, as long as the server stays out of
     * reach for less than {@code reconnectFor} at a time.
     */
    public Job follow(String id, long afterSeq, Duration reconnectFor, Consumer<LogChunk> onChunk) {
        return readOn(id, afterSeq, reconnectFor, onChunk, true);
    }

    /**
     * A job's output so far, each chunk after {@code afterSeq} once. A stream cut short is picked up again after the
     * last chunk seen, as {@link #follow} does: a server that restarted, or one that gave up on a reader slower than
     * it waits for (a pager the user stays on).
     */
    public void output(String id, long afterSeq, Duration reconnectFor, Consumer<LogChunk> onChunk) {
        readOn(id, afterSeq, reconnectFor, onChunk, false);
    }

    /** Reads on after each cut; with {@code follow} to the job's end, returning it, else to the output's end (null). */
    private Job readOn(String id, long afterSeq, Duration reconnectFor, Consumer<LogChunk> onChunk, boolean follow) {
        long[] after = {afterSeq};
        boolean[] heard = {false};
        Consumer<LogChunk> seen = chunk -> {
            onChunk.accept(chunk);
            after[0] = chunk.seq();
            heard[0] = true;
        };
        long awaySince = 0;
        while (true) {
            Duration wait = RECONNECT_EVERY;
            try {
                if (!follow) {
                    // why only a chunk is heard: a stream cut at the same place each time must not be read for ever
                    logs(id, false, after[0], seen);
                    return null;
                }
                try {
                    // why answered counts as heard: a quiet job's stream cut for want of keep-alives (a proxy
                    // that buffers them) still had a server; only failing to reach one adds up to reconnectFor
                    logs(id, true, after[0], seen, () -> heard[0] = true);
                } catch (HangarApiException api) {
                    if (api.status() != TOO_MANY_STREAMS) {
                        throw api;
                    }
                    // the server is there but holds too many streams: read what there is without one (which
                    // takes none), for as long as it refuses; never given up on, as the job runs on
                    logs(id, false, after[0], seen);
                    wait = STREAMS_BUSY_POLL;
                }
                Job job = get(id);
                if (job.isFinal()) {
                    logs(id, false, after[0], seen); // what a stream cut just before the end left unread
                    return job;
                }
                awaySince = 0;
            } catch (HangarUnreachableException | HangarApiException e) {
                if (e instanceof HangarApiException api && !api.serverAway() && api.status() != TOO_MANY_STREAMS) {
                    throw api;
                }
                long now = System.nanoTime();
                // why heard: a stream that ran a while before it broke was a server that came back
                awaySince = awaySince == 0 || heard[0] ? now : awaySince;
                heard[0] = false;
                if (now - awaySince > reconnectFor.toNanos()) {
                    throw e;
                }
            }
            try {
                Thread.sleep(wait);
            } catch (InterruptedException e) {
                throw HangarUnreachableException.interrupted(base, "following job " + id + "'s output", e);
            }
        }
    }

    /**
     * Follows {@code /v1/events}: job, node and pool changes as they happen, after
     * {@code lastEventId} if given (a resumed stream replays what was missed, or sends {@code reset}).
     */
    public EventStream events(String lastEventId) {
        Map<String, String> headers = new java.util.HashMap<>();
        if (lastEventId != null) {
            headers.put("Last-Event-ID", lastEventId);
        }
        if (token != null) {
            headers.put("Authorization", "Bearer " + token);
        }
        HttpResponse<InputStream> answer = EventStream.answer(http, URI.create(base + "/v1/events"), headers, callTimeout);
        try {
            // why: a refusal (a bad token, 429 with too many streams open) read as events was a stream that ended at
            // once, and a caller's reconnect loop spun against it
            body(answer); // a HangarApiException for any but a 2xx
        } catch (IOException e) {
            throw new HangarUnreachableException(base, e);
        }
        return EventStream.of(answer);
    }

    /** A call, answered within the call timeout. */
    private HttpRequest.Builder request(String path) {
        return stream(path).timeout(callTimeout);
    }

    /** A stream's request: no timeout of its own (see {@link HeadersWithin}). */
    private HttpRequest.Builder stream(String path) {
        var request = HttpRequest.newBuilder(URI.create(base + path)).header("Accept", "application/json");
        return token == null ? request : request.header("Authorization", "Bearer " + token);
    }

    private <T> T send(HttpRequest request, Class<T> type) {
        return read(request, Json.mapper().constructType(type));
    }

    private <T> T send(HttpRequest request, TypeReference<T> type) {
        return read(request, Json.mapper().constructType(type));
    }

    private <T> T read(HttpRequest request, JavaType type) {
        return parse(request, whole(request, HttpResponse.BodyHandlers.ofByteArray()), type);
    }

    private <T> T parse(HttpRequest request, HttpResponse<byte[]> response, JavaType type) {
        if (response.statusCode() / 100 != 2) {
            throw refusal(response, response.body());
        }
        try {
            return ANSWERS.forType(type).readValue(response.body());
        } catch (JsonProcessingException e) {
            throw unreadable(request, e);
        } catch (IOException e) {
            throw new java.io.UncheckedIOException(e); // bytes in memory: no I/O
        }
    }

    /**
     * The whole answer, headers and body, within the request's timeout. Why not {@code HttpClient.send}: its
     * timeout ends at the headers (until JDK 26), and a server or proxy that sent them and then stalled held the
     * call, and its thread, for good.
     */
    private <T> HttpResponse<T> whole(HttpRequest request, HttpResponse.BodyHandler<T> handler) {
        return HeadersWithin.answer(http, request, base, request.timeout().orElse(callTimeout), handler);
    }

    /** The body of a 2xx response; any other status is turned into {@link HangarApiException}. */
    private static InputStream body(HttpResponse<InputStream> response) throws IOException {
        if (response.statusCode() / 100 == 2) {
            return response.body();
        }
        byte[] bytes;
        try (InputStream in = response.body()) {
            bytes = in.readNBytes(MOST_REFUSAL_BYTES);
        }
        throw refusal(response, bytes);
    }

    /** The most of a refusal's body read: a problem document is small, and a proxy's page need not be read whole. */
    private static final int MOST_REFUSAL_BYTES = 64 * 1024;

    /** A non-2xx answer as the {@link HangarApiException} it is: Hangar's problem document, or another's page. */
    private static HangarApiException refusal(HttpResponse<?> response, byte[] bytes) {
        Problem problem;
        try {
            problem = ANSWERS.forType(Problem.class).readValue(bytes);
        } catch (IOException e) {
            problem = null;
        }
        if (problem == null || problem.title() == null || problem.status() != response.statusCode()) {
            // why say so: a proxy's or another program's answer, not Hangar's, is no refusal of the call
            String said = new String(bytes, StandardCharsets.UTF_8).strip();
            problem = Problem.of(response.statusCode(), "HTTP " + response.statusCode(), "not an answer of a Hangar API"
                    + " (is Hangar at " + response.request().uri().resolve("/") + "?)"
                    + (said.isEmpty() ? "" : ": " + said.substring(0, Math.min(200, said.length()))), List.of());
        }
        return new HangarApiException(problem);
    }

    /** An answer that is not what the API says: a server of another version, or not a Hangar server. */
    private IllegalStateException unreadable(HttpRequest request, JsonProcessingException e) {
        return unreadable(request, Json.plainMessage(e.getOriginalMessage()), e);
    }

    private IllegalStateException unreadable(HttpRequest request, String why, Exception e) {
        return new IllegalStateException("the answer of " + base + " to " + request.method() + " " + request.uri().getRawPath()
                + " could not be read: " + why, e);
    }

    private static String encode(String value) {
        return URLEncoder.encode(value, StandardCharsets.UTF_8);
    }

    /** One path segment: percent-encoded as a path is (a space is %20, not +), and never empty. */
    private static String segment(String what, String value) {
        if (value == null || value.isEmpty()) {
            throw new IllegalArgumentException(what + " must not be empty");
        }
        return encode(value).replace("+", "%20");
    }
}
