package dev.hangar.server;

import dev.hangar.core.api.Problem;

import dev.hangar.core.job.JobNotFoundException;
import dev.hangar.core.json.Json;
import dev.hangar.core.queue.QueueBackend;
import dev.hangar.core.queue.QueueException;
import dev.hangar.core.queue.RepeatedWarning;
import dev.hangar.server.events.EventLog;
import dev.hangar.server.events.ServerEvents;
import dev.hangar.server.metrics.HangarMetrics;
import io.javalin.Javalin;
import io.javalin.http.Context;
import io.javalin.http.HandlerType;
import io.javalin.http.HttpResponseException;
import io.javalin.json.JavalinJackson;
import io.micrometer.core.instrument.FunctionCounter;
import io.micrometer.core.instrument.Gauge;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.nio.charset.StandardCharsets;
import java.util.Collection;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import dev.hangar.server.auth.TokenLookup;

/**
 * The REST API over HTTP. Routes are grouped per resource; every failure becomes a problem
 * details body through the one table in {@link #mapExceptions}.
 */
public final class HangarServer implements AutoCloseable {
    private static final System.Logger LOG = System.getLogger(HangarServer.class.getName());

    private final Javalin app;
    private final EventLog eventLog = EventLog.startingNow();
    private final ServerEvents events;
    private final EventRoutes eventRoutes;
    private final HangarMetrics metrics;
    private final PoolRoutes poolRoutes;

    /** A server without API tokens: every caller sees every job and may do everything. */
    public HangarServer(QueueBackend queue, NodeView nodes) {
        this(queue, nodes, Optional.empty());
    }

    /** {@code tokens}: the API tokens it accepts (see {@link TokenLookup}); empty for none needed. */
    public HangarServer(QueueBackend queue, NodeView nodes, Optional<? extends TokenLookup> tokens) {
        this(queue, nodes, tokens, List.of());
    }

    /**
     * {@code hostNames}: names of the server beside its own, as its users reach it (a leading dot: every name below
     * it), that a server without tokens answers to (see {@link HostNameCheck}).
     */
    public HangarServer(QueueBackend queue, NodeView nodes, Optional<? extends TokenLookup> tokens,
            Collection<String> hostNames) {
        this(queue, nodes, tokens, hostNames, new StreamSlots(StreamSlots.PER_CALLER, StreamSlots.TOTAL));
    }

    /** {@code slots}: how many event streams and log follows a caller, and the server, may hold open. */
    HangarServer(QueueBackend queue, NodeView nodes, Optional<? extends TokenLookup> tokens, StreamSlots slots) {
        this(queue, nodes, tokens, List.of(), slots);
    }

    private HangarServer(QueueBackend queue, NodeView nodes, Optional<? extends TokenLookup> tokens,
            Collection<String> hostNames, StreamSlots slots) {
        this.poolRoutes = new PoolRoutes(nodes);
        this.events = new ServerEvents(queue, nodes, eventLog);
        this.eventRoutes = new EventRoutes(eventLog, EventRoutes.HEARTBEAT, slots);
        this.metrics = new HangarMetrics(queue, nodes);
        Gauge.builder("hangar.event.stream.clients", eventRoutes, EventRoutes::clients)
                .description("Clients following /v1/events on this server").register(metrics.registry());
        Gauge.builder("hangar.streams.open", slots, StreamSlots::open)
                .description("Streams this server holds open: event streams and log follows").register(metrics.registry());
        FunctionCounter.builder("hangar.submit.entries.set.aside", queue, QueueBackend::submitEntriesSetAside)
                .description("Entries a producer wrote to the submit stream that this server set aside on the dead-letter"
                        + " stream as no valid job (the stream says why)")
                .register(metrics.registry());
        this.app = Javalin.create(config -> {
            config.useVirtualThreads = true;
            config.showJavalinBanner = false;
            config.http.maxRequestSize = JobRoutes.MAX_SPEC_BYTES;
            config.http.prefer405over404 = true;
            config.jsonMapper(new JavalinJackson(Json.mapper(), true));
            config.jetty.modifyServer(server -> server.setErrorHandler(new ProblemErrorHandler()));
            if (HangarServer.class.getResource("/hangar/dashboard/index.html") != null) config.staticFiles.add("/hangar/dashboard", io.javalin.http.staticfiles.Location.CLASSPATH); // the dashboard module's assets at /, when it is on the class path
        });
        app.before(HangarServer::refuseUnreadableCharset);
        app.before(new HostNameCheck(tokens.isPresent(), hostNames)::check);
        String policy = ContentPolicy.of(HangarServer.class.getResource("/hangar/dashboard/index.html"));
        app.before(ctx -> {
            // the dashboard in another site's frame would take clicks meant for that site (a cancel)
            ctx.header("X-Frame-Options", "DENY");
            ctx.header("Content-Security-Policy", policy);
            ctx.header("X-Content-Type-Options", "nosniff"); // a job's raw output is never taken for a script or a page
        });
        app.before(HangarServer::refuseMethodOverride);
        app.before(this::refuseApiHead);
        app.beforeMatched(new TokenCheck(tokens)::check);
        new JobRoutes(queue, nodes, slots).register(app);
        new ExplainRoutes(nodes).register(app);
        app.get("/v1/runtimes", QueryParams.none(ctx -> ctx.json(nodes.runtimes().stream().map(runtime ->
                Json.treeWith(runtime, "waiting", nodes.runtimeWaitingFor(runtime.name()).orElse(null))).toList())));
        var health = new HealthCheck(queue, nodes);
        app.get("/healthz", ctx -> ctx.json(health.answer(TokenCheck.caller(ctx))));
        app.get("/readyz", ctx -> {
            health.ready(); // a QueueException: 503 with Retry-After, saying why
            ctx.json(Map.of("status", "ready"));
        });
        // a load balancer may probe with HEAD, which Javalin would answer 200 without running the GET
        app.head("/readyz", ctx -> health.ready());
        new NodeRoutes(nodes).register(app);
        eventRoutes.register(app);
        poolRoutes.register(app);
        app.get("/metrics", this::scrape);
        app.get("/openapi.yaml", HangarServer::openApi);
        mapExceptions(app, new RepeatedWarning(LOG, "serving API calls"));
    }

    private static final String METHOD_OVERRIDE = "X-HTTP-Method-Override";

    /**
     * Javalin takes this header as the request's method: a GET would cancel a job, past any proxy
     * that lets only GETs through and into access logs as a GET.
     */
    private static void refuseMethodOverride(io.javalin.http.Context ctx) {
        if (ctx.header(METHOD_OVERRIDE) != null) {
            throw ApiException.badField(METHOD_OVERRIDE, "is not taken here: send the method itself");
        }
    }

    /**
     * Javalin answers a HEAD of any GET route with 200 without running the route or its checks, so
     * that {@code HEAD /v1/jobs/missing} would be 200 without a token: the API refuses HEAD instead,
     * naming the methods the path takes; a path that takes none is left to be not found.
     */
    private void refuseApiHead(io.javalin.http.Context ctx) {
        // by the path: Javalin matches no route for a HEAD, so the token check's rule is applied to the path
        String path = ctx.path().replaceAll("/+", "/").replaceAll("(.)/$", "$1");
        if (ctx.method() != HandlerType.HEAD || !TokenCheck.isApi(path)) {
            return;
        }
        var router = app.unsafeConfig().pvt.internalRouter;
        List<String> allowed = java.util.stream.Stream.of(HandlerType.GET, HandlerType.POST, HandlerType.PUT,
                HandlerType.PATCH, HandlerType.DELETE).filter(method -> router.hasHttpHandlerEntry(method, path))
                .map(HandlerType::name).toList();
        if (!allowed.isEmpty()) {
            ctx.header("Allow", String.join(", ", allowed));
            throw new ApiException(405, "Method not allowed", "the API does not serve HEAD: send "
                    + String.join(" or ", allowed), List.of());
        }
    }


    /**
     * A Content-Type whose charset parameter cannot be parsed ("x; charset") makes Javalin fail on
     * reading the query, which every route does first: refused here, naming the header, rather than
     * answered with a 500 (before the token check, as the failure would come before it).
     */
    private static void refuseUnreadableCharset(Context ctx) {
        try {
            ctx.characterEncoding();
        } catch (RuntimeException e) {
            throw ApiException.badField("Content-Type", "its charset parameter cannot be read");
        }
    }

    /** {@code queueAway}: an outage fails every caller's retries and probes, logged as one line a half minute. */
    private static void mapExceptions(Javalin app, RepeatedWarning queueAway) {
        app.exception(ApiException.class, (e, ctx) -> problem(ctx, e.problem()));
        app.exception(JobNotFoundException.class, (e, ctx) ->
                problem(ctx, Problem.of(404, "Not found", e.getMessage(), List.of())));
        // the queue is away (Redis restarting, failing over) or could not confirm a write: worth a retry
        app.exception(QueueException.class, (e, ctx) -> {
            queueAway.failed(" at " + ctx.method() + " " + ctx.path() + ", answered 503", e);
            ctx.header("Retry-After", "1");
            problem(ctx, Problem.of(503, "Queue unavailable", HealthCheck.queueTrouble(e, TokenCheck.caller(ctx)), List.of()));
        });
        app.exception(HttpResponseException.class, (e, ctx) -> {
            String allowed = e.getDetails().get("availableMethods");
            if (e.getStatus() == 405 && allowed != null) {
                ctx.header("Allow", allowed.replaceAll("[\\[\\]]", ""));
            }
            problem(ctx, Problem.of(e.getStatus(), e.getMessage(), e.getMessage()
                    + (allowed == null ? "" : "; allowed: " + allowed.replaceAll("[\\[\\]]", "")), List.of()));
        });
        app.exception(Exception.class, (e, ctx) -> {
            LOG.log(System.Logger.Level.ERROR, "request failed: " + ctx.method() + " " + ctx.path(), e);
            problem(ctx, Problem.of(500, "Internal error", e.toString(), List.of()));
        });
    }

    private static void problem(Context ctx, Problem problem) {
        // bytes, so that the text goes out as UTF-8 (JSON's encoding) whatever the container's default
        ctx.status(problem.status()).contentType(Problem.MEDIA_TYPE).result(Json.write(problem).getBytes(StandardCharsets.UTF_8));
    }

    private void scrape(Context ctx) throws IOException {
        ctx.contentType(HangarMetrics.CONTENT_TYPE);
        ctx.header("Cache-Control", "no-store");
        try (OutputStream out = ctx.outputStream()) {
            metrics.scrape(out);
        }
    }

    private static void openApi(Context ctx) throws IOException {
        try (InputStream in = HangarServer.class.getResourceAsStream("/hangar/openapi.yaml")) {
            ctx.contentType("application/yaml").result(in.readAllBytes());
        }
    }

    /** Starts listening; port 0 picks a free port. */
    public HangarServer start(String host, int port) {
        app.start(host, port);
        return this;
    }

    public int port() {
        return app.port();
    }

    /** The metrics of {@code /metrics}, with hooks for what only a node knows (sandboxes running, pools). */
    public HangarMetrics metrics() {
        return metrics;
    }

    /** Serves this node's warm pools at {@code /v1/pools} and in the metrics. */
    public void servePools(dev.hangar.core.pool.PoolsView pools) {
        servePools(pools, null);
    }

    /** As above, for the pools of this process's own node, whose images are {@code imagesHere} (null: any node's). */
    public void servePools(dev.hangar.core.pool.PoolsView pools, java.util.function.Supplier<java.util.Set<String>> imagesHere) {
        servePools(pools, imagesHere, pools);
    }

    /**
     * As above, the metrics counting {@code counted}: a cluster's pools, on a node that serves its own for change, as
     * every server's metrics count the whole cluster.
     */
    public void servePools(dev.hangar.core.pool.PoolsView pools, java.util.function.Supplier<java.util.Set<String>> imagesHere,
            dev.hangar.core.pool.PoolsView counted) {
        poolRoutes.serve(pools, imagesHere);
        metrics.pools(counted);
    }

    /** Stops listening to the store, lets event streams send what they still have, then stops serving. */
    @Override
    public void close() {
        events.close();
        eventLog.close();
        eventRoutes.close();
        app.stop();
        metrics.close();
    }
}
