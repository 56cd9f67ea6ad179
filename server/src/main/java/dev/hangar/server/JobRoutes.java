package dev.hangar.server;

import dev.hangar.core.cluster.NodeName;
import dev.hangar.core.job.FieldError;
import dev.hangar.core.job.InvalidSpecException;
import dev.hangar.core.job.Job;
import dev.hangar.core.job.JobNotFoundException;
import dev.hangar.core.job.JobSpec;
import dev.hangar.core.job.JobSpecValidator;
import dev.hangar.core.job.JobState;
import dev.hangar.core.json.Json;
import dev.hangar.core.queue.Enqueued;
import dev.hangar.core.queue.JobPage;
import dev.hangar.core.queue.JobQuery;
import dev.hangar.core.queue.QueueBackend;
import dev.hangar.server.auth.Caller;
import io.javalin.Javalin;
import io.javalin.http.Context;
import java.io.IOException;
import java.util.EnumSet;
import java.util.List;
import java.util.Locale;
import java.util.Set;
import java.util.function.UnaryOperator;

/** {@code /v1/jobs}: submit, list, get, cancel and logs. */
final class JobRoutes {
    /** Room for a spec at its content limits (stdin 1 MiB, command and env 1 MiB), written as JSON without many escapes. */
    static final int MAX_SPEC_BYTES = 4 * 1024 * 1024;

    private final QueueBackend queue;
    private final NodeView nodes;
    private final LogStreamer logs;

    JobRoutes(QueueBackend queue, NodeView nodes, StreamSlots slots) {
        this.queue = queue;
        this.nodes = nodes;
        this.logs = new LogStreamer(queue, slots);
    }

    void register(Javalin app) {
        app.post("/v1/jobs", QueryParams.none(this::submit));
        app.get("/v1/jobs", this::list);
        app.get("/v1/jobs/{id}", QueryParams.none(ctx -> ctx.json(withWaiting(find(ctx)))));
        app.delete("/v1/jobs/{id}", QueryParams.none(this::cancel));
        app.get("/v1/jobs/{id}/logs", ctx -> logs.stream(ctx, () -> find(ctx)));
    }

    private void submit(Context ctx) throws IOException {
        JobSpec spec = ownedBy(TokenCheck.caller(ctx), specOf(ctx));
        Enqueued enqueued = enqueueChecked(spec);
        if (enqueued.conflictsWith(spec)) {
            throw new ApiException(409, "Idempotency key in use", "idempotencyKey: " + enqueued.conflict(),
                    List.of(new FieldError("idempotencyKey", enqueued.conflict())));
        }
        ctx.header("Location", "/v1/jobs/" + enqueued.job().id());
        ctx.status(enqueued.created() ? 201 : 200).json(enqueued.job());
    }

    /**
     * The spec as the caller's job: its tenant is the caller's, unless an admin names another. A
     * caller that is not an admin may name only its own.
     */
    static JobSpec ownedBy(Caller caller, JobSpec spec) {
        if (spec.tenant() == null) {
            return caller.tenant() == null ? spec : spec.toBuilder().tenant(caller.tenant()).build();
        }
        if (!caller.seesTenant(spec.tenant())) {
            throw TokenCheck.otherTenant(caller, "may submit only its own jobs; leave tenant out");
        }
        return spec;
    }

    /**
     * The spec enqueued if some node could run it. A spec no node takes now may repeat the submit of
     * a job its idempotency key made (the only node that fitted it may be gone since): that job
     * answers it, else the refusal does. A refused spec that is not such a repeat (another spec
     * under the key) is told all that is wrong with it: its fields' faults and the key's.
     */
    private Enqueued enqueueChecked(JobSpec spec) {
        JobSpec valid;
        try {
            valid = nodes.validate(spec);
        } catch (InvalidSpecException e) {
            Enqueued repeat = queue.findByIdempotencyKey(spec).map(earlier -> new Enqueued(earlier, false))
                    .orElseThrow(() -> invalid(e));
            if (repeat.conflictsWith(spec)) {
                throw invalid(repeat.refusedWithConflict(e));
            }
            return repeat;
        }
        return queue.enqueue(valid);
    }

    /**
     * A queued job as the API shows it: with {@code waiting}, why it waits, when no node that is up
     * can run it (the nodes that could were lost since it was submitted), so that it does not just sit.
     */
    private Object withWaiting(Job job) {
        String waiting = nodes.waitingOf(job);
        return waiting == null ? job : Json.treeWith(job, "waiting", waiting);
    }

    /** The request's spec, as {@code check} passes it; else a 400 naming each field and why. */
    static JobSpec validSpec(Context ctx, UnaryOperator<JobSpec> check) throws IOException {
        return checked(specOf(ctx), check);
    }

    private static JobSpec specOf(Context ctx) throws IOException {
        return JsonBodies.read(JsonBodies.body(ctx, MAX_SPEC_BYTES), JobSpec.class);
    }

    private static JobSpec checked(JobSpec spec, UnaryOperator<JobSpec> check) {
        try {
            return check.apply(spec);
        } catch (InvalidSpecException e) {
            throw invalid(e);
        }
    }

    private static ApiException invalid(InvalidSpecException e) {
        return new ApiException(400, "Invalid job spec", e.getMessage(), e.errors());
    }

    private void list(Context ctx) {
        QueryParams.only(ctx, List.of("state", "limit", "cursor", "tenant", "node"));
        int limit = intParam(ctx, "limit", 50, 1, JobQuery.MAX_LIMIT);
        Set<JobState> states = states(QueryParams.first(ctx, "state"));
        JobPage page;
        try {
            page = queue.list(new JobQuery(states, QueryParams.value(ctx, "cursor"), limit, tenantOfList(ctx), nodeOfList(ctx)));
        } catch (IllegalArgumentException e) {
            throw ApiException.badField("cursor", e.getMessage());
        }
        // why filtered again, though the queue lists one tenant's: an index entry the retention has not yet swept
        // may name a job id that a producer writing the stream by hand has since given another tenant's job
        Caller caller = TokenCheck.caller(ctx);
        ctx.json(new ShownPage(page.jobs().stream().filter(caller::sees).map(this::withWaiting).toList(),
                page.nextCursor()));
    }

    /** A page of jobs as the API shows it: {@link JobPage}'s fields, a queued job with its {@code waiting}. */
    private record ShownPage(List<Object> jobs, String nextCursor) {}

    /** Whose jobs a list holds: the caller's own, unless an admin asks for one tenant's or for all. */
    private static String tenantOfList(Context ctx) {
        Caller caller = TokenCheck.caller(ctx);
        String asked = QueryParams.value(ctx, "tenant");
        if (asked == null) {
            return caller.admin() ? null : caller.tenant();
        }
        if (!JobSpecValidator.TENANT.matcher(asked).matches()) {
            // why: no job can have it, so a list of it would be empty for a reason it would not say
            throw ApiException.badField("tenant", JobSpecValidator.TENANT_RULE + ", got '" + asked + "'");
        }
        if (!caller.seesTenant(asked)) {
            throw TokenCheck.otherTenant(caller, "sees only its own jobs; leave tenant out");
        }
        return asked;
    }

    /** The node whose jobs a list holds, or null for every node's. */
    private static String nodeOfList(Context ctx) {
        String node = QueryParams.value(ctx, "node");
        if (node != null && !NodeName.valid(node)) {
            // why: no node can have it, so a list of it would be empty for a reason it would not say
            throw ApiException.badField("node", NodeName.RULE + ", got '" + node + "'");
        }
        return node;
    }

    private void cancel(Context ctx) {
        find(ctx); // why first: a job the caller may not see is not there for it, and is left alone
        Job job = queue.cancel(ctx.pathParam("id")).orElseThrow(() -> new JobNotFoundException(ctx.pathParam("id")));
        ctx.status(job.isFinal() ? 200 : 202).json(job);
    }

    /** The job of the path, if the caller may see it; another tenant's job is as unknown as a missing one. */
    private Job find(Context ctx) {
        String id = ctx.pathParam("id");
        return queue.get(id).filter(TokenCheck.caller(ctx)::sees).orElseThrow(() -> new JobNotFoundException(id));
    }

    private static Set<JobState> states(String param) {
        if (param == null || param.isBlank()) {
            return Set.of();
        }
        var states = EnumSet.noneOf(JobState.class);
        for (String name : param.split(",", -1)) {
            if (name.isBlank()) {
                throw ApiException.badField("state", "has an empty name between commas: '" + param + "'");
            }
            try {
                states.add(JobState.valueOf(name.trim().toUpperCase(Locale.ROOT)));
            } catch (IllegalArgumentException e) {
                throw ApiException.badField("state", "unknown state '" + name.trim() + "'; known: "
                        + java.util.Arrays.toString(JobState.values()));
            }
        }
        return states;
    }

    static int intParam(Context ctx, String name, int fallback, int min, int max) {
        return (int) longParam(ctx, name, fallback, min, max);
    }

    static long longParam(Context ctx, String name, long fallback, long min, long max) {
        String raw = QueryParams.value(ctx, name);
        if (raw == null) {
            return fallback;
        }
        try {
            long value = Long.parseLong(raw);
            if (value < min || value > max) {
                throw ApiException.badField(name, "must be between " + min + " and " + max + ", got " + value);
            }
            return value;
        } catch (NumberFormatException e) {
            // why: digits past a long are out of range; digits with spaces around are not a number here
            throw ApiException.badField(name, raw.matches("[+-]?\\d+")
                    ? "must be between " + min + " and " + max + ", got " + raw
                    : "must be a whole number (digits alone, no spaces), got '" + raw + "'");
        }
    }
}
