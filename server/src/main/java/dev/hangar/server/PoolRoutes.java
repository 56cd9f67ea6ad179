package dev.hangar.server;

import dev.hangar.core.job.InvalidSpecException;
import dev.hangar.core.pool.PoolList;
import dev.hangar.core.pool.PoolSpec;
import dev.hangar.core.pool.PoolStatus;
import dev.hangar.core.pool.PoolsView;
import dev.hangar.core.job.SpecLimits;
import io.javalin.Javalin;
import io.javalin.http.Context;
import java.util.List;
import java.util.Set;
import java.util.function.Supplier;

/**
 * {@code /v1/pools}: the warm pools of the node this server runs with. List and read them; create
 * or change one with {@code PUT /v1/pools/{id}} (the id is the pool's name); remove one with {@code DELETE}. A
 * cluster's server shows its nodes' pools ({@link ClusterPools}) and refuses changes with 405.
 */
public final class PoolRoutes {
    /** A pool spec is small (its prepare step, the largest field, at most 64 Ki characters). */
    static final int MAX_POOL_SPEC_BYTES = 1024 * 1024;

    private final NodeView nodes;
    private volatile PoolsView pools;
    /** The images of the node whose pools these are; null: those of every node the server knows. */
    private volatile Supplier<Set<String>> imagesHere;

    PoolRoutes(NodeView nodes) {
        this.nodes = nodes;
    }

    /**
     * Serves the pools of one node from now on, whose images are {@code imagesHere}: a pool is made
     * on that node, so an image only another node of the cluster has would never fill it.
     */
    public void serve(PoolsView view, Supplier<Set<String>> imagesHere) {
        this.pools = view;
        this.imagesHere = imagesHere;
    }

    void register(Javalin app) {
        app.get("/v1/pools", QueryParams.none(this::list));
        app.get("/v1/pools/{id}", QueryParams.none(ctx -> ctx.json(find(ctx.pathParam("id")))));
        app.put("/v1/pools/{id}", QueryParams.none(this::put));
        app.delete("/v1/pools/{id}", QueryParams.none(this::remove));
    }

    /** Pools serve every tenant's jobs: only an admin changes them. */
    private static void adminOnly(Context ctx) {
        TokenCheck.adminOnly(ctx, "warm pools serve every tenant: changing them needs an admin token");
    }

    private void list(Context ctx) {
        PoolsView view = view();
        ctx.json(new PoolList(view.budget(), view.pools()));
    }

    private void put(Context ctx) throws java.io.IOException {
        adminOnly(ctx);
        PoolsView view = changeable(ctx);
        String name = ctx.pathParam("id");
        // why before the body: a blank name would give the pool its default name, another pool's perhaps
        PoolSpec.nameError(name).ifPresent(error -> {
            throw ApiException.badField("name", "in the path " + error.reason());
        });
        byte[] body = JsonBodies.body(ctx, MAX_POOL_SPEC_BYTES);
        PoolSpec spec = JsonBodies.read(body, PoolSpec.class);
        String named = nameIn(body);
        if (named != null && named.isBlank()) {
            throw ApiException.badField("name", "is empty; leave it out or make it the path's name '" + name + "'");
        }
        if (named != null && !name.equals(spec.name())) {
            throw ApiException.badField("name", "is '" + spec.name() + "' but the path names pool '" + name
                    + "'; leave it out or make them agree");
        }
        // a pool of an image the node lacks would fail to fill, over and over: refused as a job naming it is
        Supplier<Set<String>> local = imagesHere;
        SpecLimits limits = local == null ? nodes.limits() : nodes.limits().withImages(local.get());
        limits.unknownImage(spec.image()).ifPresent(error -> {
            throw new ApiException(400, "Invalid pool spec", error.field() + ": " + error.reason(), List.of(error));
        });
        try {
            PoolsView.Put put = view.put(spec.withName(name));
            ctx.status(put.created() ? 201 : 200).header("Location", "/v1/pools/" + name).json(put.status());
        } catch (InvalidSpecException e) {
            throw new ApiException(400, "Invalid pool spec", e.getMessage(), e.errors());
        } catch (PoolsView.Stopping e) {
            throw stopping(e);
        }
    }

    /** A 503: the node stops, so the change is not made; another node's server, or this one restarted, takes it. */
    private static ApiException stopping(PoolsView.Stopping e) {
        return new ApiException(503, "Stopping", e.getMessage(), List.of());
    }

    /** The name the body gives, or null if it gives none. */
    private static String nameIn(byte[] body) {
        try {
            var name = dev.hangar.core.json.Json.mapper().readTree(body).get("name");
            return name == null || name.isNull() ? null : name.asText();
        } catch (java.io.IOException e) {
            return null; // read above already
        }
    }

    private void remove(Context ctx) {
        adminOnly(ctx);
        String name = ctx.pathParam("id");
        try {
            ctx.json(changeable(ctx).remove(name).orElseThrow(() -> notFound(name)));
        } catch (PoolsView.Stopping e) {
            throw stopping(e);
        }
    }

    private PoolStatus find(String name) {
        return view().pools().stream().filter(p -> p.spec().name().equals(name)).findFirst()
                .orElseThrow(() -> notFound(name));
    }

    private static ApiException notFound(String name) {
        return new ApiException(404, "Not found", "no pool named '" + name + "'", List.of());
    }

    /** The view, if it may change pools; checked before the body is read, so the refusal says why. */
    private PoolsView changeable(Context ctx) {
        PoolsView view = view();
        view.readOnly().ifPresent(why -> {
            ctx.header("Allow", "GET");
            throw new ApiException(405, "Method not allowed", why, List.of());
        });
        return view;
    }

    private PoolsView view() {
        PoolsView view = pools;
        if (view == null) {
            throw new ApiException(404, "Not found", "this server runs no agent, so it keeps no warm pools: pools are"
                    + " kept per node; ask a node started with 'hangar up'", List.of());
        }
        return view;
    }
}
