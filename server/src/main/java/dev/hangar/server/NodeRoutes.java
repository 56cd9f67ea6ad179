package dev.hangar.server;

import com.fasterxml.jackson.annotation.JsonSetter;
import com.fasterxml.jackson.annotation.Nulls;
import dev.hangar.core.cluster.NodeInfo;
import dev.hangar.core.job.FieldError;
import dev.hangar.core.job.NodeLabels;
import io.javalin.Javalin;
import io.javalin.http.Context;
import java.util.List;
import java.util.Map;

/**
 * {@code /v1/nodes}: the nodes joined now; {@code PUT /v1/nodes/{id}/drain} (the id is the node's name)
 * asks one to take no more jobs while those it runs finish (before maintenance), and {@code DELETE} of
 * the same takes the ask back; {@code /v1/nodes/drains} lists the asks kept, of nodes up or not.
 * {@code PUT /v1/nodes/{id}/labels} gives a node labels in place of those it was started with, and
 * {@code PATCH} sets some and takes others away, and {@code DELETE} gives it its own again; {@code /v1/nodes/labels}
 * lists the labels asked, of nodes up or not.
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
        app.get("/v1/nodes/labels", QueryParams.none(ctx -> ctx.json(nodes.labelAsks())));
        app.put("/v1/nodes/{id}/drain", QueryParams.none(ctx -> drain(ctx, true)));
        app.delete("/v1/nodes/{id}/drain", QueryParams.none(ctx -> drain(ctx, false)));
        app.put("/v1/nodes/{id}/labels", QueryParams.none(ctx -> relabel(ctx, true)));
        app.delete("/v1/nodes/{id}/labels", QueryParams.none(ctx -> relabel(ctx, false)));
        app.patch("/v1/nodes/{id}/labels", QueryParams.none(this::changeLabels));
    }

    /**
     * The body of a relabel, the node's labels all of them, or of a change of labels, those to set and
     * those to take away as null: its nulls are read as such, for the check that names the label.
     */
    record LabelsBody(@JsonSetter(contentNulls = Nulls.SET) Map<String, String> labels) {}

    /** The labels of the request's body; refused, saying {@code required} of them, if it has none. */
    private static Map<String, String> labelsIn(Context ctx, String required) throws java.io.IOException {
        LabelsBody body = JsonBodies.read(JsonBodies.body(ctx, MAX_LABELS_BYTES), LabelsBody.class);
        if (body.labels() == null) {
            throw ApiException.badField("labels", "is required: " + required);
        }
        return body.labels();
    }

    /** Labels in a body are a few short pairs. */
    private static final int MAX_LABELS_BYTES = 16 * 1024;

    private void relabel(Context ctx, boolean give) throws java.io.IOException {
        TokenCheck.adminOnly(ctx, "a node runs every tenant's jobs: relabelling it needs an admin token");
        Map<String, String> labels = null;
        if (give) {
            labels = labelsIn(ctx, "the node's labels, all of them ({} for none)");
            refuseAny(NodeLabels.errors("labels", labels));
        }
        answer(ctx, nodes.relabel(ctx.pathParam("id"), labels));
    }

    /**
     * Labels set or taken away, the others kept: {@code {"labels": {"zone": "r2", "rack": null}}} (a JSON
     * merge patch of them), in one step against any other change.
     */
    private void changeLabels(Context ctx) throws java.io.IOException {
        TokenCheck.adminOnly(ctx, "a node runs every tenant's jobs: relabelling it needs an admin token");
        Map<String, String> changes = labelsIn(ctx, "the labels to set, and those to take away as null");
        var set = new java.util.TreeMap<String, String>();
        var removed = new java.util.TreeSet<String>();
        changes.forEach((key, value) -> {
            if (value == null) {
                removed.add(key);
            } else {
                set.put(key, value);
            }
        });
        List<FieldError> errors = new java.util.ArrayList<>(NodeLabels.errors("labels", set));
        removed.stream().filter(key -> !NodeLabels.KEY.matcher(key).matches())
                .forEach(key -> errors.add(new FieldError("labels", NodeLabels.KEY_RULE + ", got '" + key + "'")));
        refuseAny(errors);
        ctx.json(nodes.changeLabels(ctx.pathParam("id"), set, removed));
    }

    private static void refuseAny(List<FieldError> errors) {
        if (!errors.isEmpty()) {
            throw new ApiException(400, "Invalid labels", errors.getFirst().field() + ": " + errors.getFirst().reason(), errors);
        }
    }

    /** The node as it stands; 204 for a node not up (whose ask is taken back). */
    private static void answer(Context ctx, NodeInfo node) {
        if (node == null) {
            ctx.status(204);
        } else {
            ctx.json(node);
        }
    }

    private void drain(Context ctx, boolean drain) {
        TokenCheck.adminOnly(ctx, "a node runs every tenant's jobs: draining it needs an admin token");
        // any name a node may have (a host name by default): one not up is refused below, or has no ask to drop
        answer(ctx, nodes.drain(ctx.pathParam("id"), drain));
    }
}
