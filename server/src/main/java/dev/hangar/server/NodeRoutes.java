package dev.hangar.server;

import dev.hangar.core.cluster.NodeInfo;
import io.javalin.Javalin;
import io.javalin.http.Context;

/**
 * {@code /v1/nodes}: the nodes joined now; {@code PUT /v1/nodes/{id}/drain} (the id is the node's name)
 * asks one to take no more jobs while those it runs finish (before maintenance), and {@code DELETE} of
 * the same takes the ask back; {@code /v1/nodes/drains} lists the asks kept, of nodes up or not.
 * Draining changes where every tenant's jobs run: an admin's call. Why PUT, not POST: a POST without a
 * body is a request a browser sends for any page without asking the server first, so a page could
 * drain the nodes of a server that runs without tokens.
 */
final class NodeRoutes {
    private final NodeView nodes;

    NodeRoutes(NodeView nodes) {
        this.nodes = nodes;
    }

    void register(Javalin app) {
        app.get("/v1/nodes", QueryParams.none(ctx -> ctx.json(nodes.nodes())));
        app.get("/v1/nodes/drains", QueryParams.none(ctx -> ctx.json(nodes.drainAsks())));
        app.put("/v1/nodes/{id}/drain", QueryParams.none(ctx -> drain(ctx, true)));
        app.delete("/v1/nodes/{id}/drain", QueryParams.none(ctx -> drain(ctx, false)));
    }

    private void drain(Context ctx, boolean drain) {
        TokenCheck.adminOnly(ctx, "a node runs every tenant's jobs: draining it needs an admin token");
        // any name a node may have (a host name by default): one not up is refused below, or has no ask to drop
        NodeInfo node = nodes.drain(ctx.pathParam("id"), drain);
        if (node == null) {
            ctx.status(204); // a node not up, no longer asked
        } else {
            ctx.json(node);
        }
    }
}
