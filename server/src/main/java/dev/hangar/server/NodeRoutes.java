package dev.hangar.server;

import dev.hangar.core.cluster.NodeInfo;
import dev.hangar.core.cluster.NodeNames;
import io.javalin.Javalin;
import io.javalin.http.Context;

/**
 * {@code /v1/nodes}: the nodes joined now; {@code POST /v1/nodes/{id}/drain} (the id is the node's name) asks one to take no
 * more jobs while those it runs finish (before maintenance), and {@code DELETE} of the same takes the
 * ask back. Draining changes what every tenant's jobs may run on: an admin's call.
 */
final class NodeRoutes {
    private final NodeView nodes;

    NodeRoutes(NodeView nodes) {
        this.nodes = nodes;
    }

    void register(Javalin app) {
        app.get("/v1/nodes", QueryParams.none(ctx -> ctx.json(nodes.nodes())));
        app.post("/v1/nodes/{id}/drain", QueryParams.none(ctx -> drain(ctx, true)));
        app.delete("/v1/nodes/{id}/drain", QueryParams.none(ctx -> drain(ctx, false)));
    }

    private void drain(Context ctx, boolean drain) {
        if (!TokenCheck.caller(ctx).admin()) {
            throw TokenCheck.forbidden("a node runs every tenant's jobs: draining it needs an admin token");
        }
        String name = ctx.pathParam("id");
        if (!NodeNames.valid(name)) {
            throw ApiException.badField("name", "in the path " + NodeNames.RULE);
        }
        NodeInfo node = nodes.drain(name, drain);
        if (node == null) {
            ctx.status(204); // a node not up, no longer asked
        } else {
            ctx.json(node);
        }
    }
}
