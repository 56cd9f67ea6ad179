package dev.hangar.server;

import dev.hangar.core.job.InvalidSpecException;
import dev.hangar.core.job.JobSpec;
import dev.hangar.core.json.Json;
import dev.hangar.core.select.NodePolicy;
import dev.hangar.core.select.RuntimeSelector;
import dev.hangar.core.select.Selection;
import dev.hangar.core.select.WarmPools;
import dev.hangar.server.auth.Caller;
import io.javalin.Javalin;
import io.javalin.http.Context;
import java.io.IOException;
import java.util.Optional;

/**
 * {@code POST /v1/explain}: the runtime the rules would choose for a job spec, and why not the
 * others, without storing or running anything. Its fields are validated as a submit's are; a job
 * that the rules refuse on every node, which a submit refuses, is explained, and so is one that fits
 * no one node though each of its needs is met by some node.
 *
 * <p>It decides over the runtimes the server knows ({@link NodeView#runtimes()}) with the GPUs of the
 * largest node. A network passes the fields' check only where some node gives one, so the rules
 * take it as allowed. The server does not see the nodes' warm pools, so it assumes none is warm;
 * the node decides again when it runs the job, and the job record keeps that decision.
 */
final class ExplainRoutes {
    private final NodeView nodes;
    private final RuntimeSelector selector = RuntimeSelector.standard();
    private final RuntimeSelector waiting = RuntimeSelector.benchedWaited();

    ExplainRoutes(NodeView nodes) {
        this.nodes = nodes;
    }

    void register(Javalin app) {
        app.post("/v1/explain", QueryParams.none(this::explain));
    }

    private void explain(Context ctx) throws IOException {
        // the fields must be valid; the rules' refusal on every node is what the answer explains
        // and a tenant the caller could submit as, as a submit's
        Caller caller = TokenCheck.caller(ctx);
        ctx.json(explain(JobRoutes.validSpec(ctx, spec -> nodes.validateFields(JobRoutes.ownedBy(caller, spec)))));
    }

    /**
     * The choice now; a job refused only because its runtime is benched for a while is accepted by a
     * submit and waits for it, so that is what is explained. The runtimes include those of nodes lost
     * a while ago, as a submit's check does: a job that only such a node could run is said to wait.
     * Before any node has joined a cluster there is no runtime to choose, and a submit waits for a node.
     * A job that a submit would leave waiting has its answer's {@code waiting} say why, as its job would.
     */
    Object explain(JobSpec spec) {
        Selection choice = asSubmitWould(spec, choose(spec));
        Optional<String> waits = nodes.waitingFor(spec);
        if (waits.isEmpty() || choice.refused() && nodes.anyNodeKnown()) {
            return choice;
        }
        String then = "; submitted now, it would wait in the queue: " + waits.get();
        return Json.treeWith(new Selection(choice.runtime(), (choice.refused() ? "no runtime to choose yet" : choice.reason())
                + then, choice.rejected(), choice.candidates()), "waiting", waits.get());
    }

    /**
     * The choice, or the refusal a submit would give: the rules decide over the runtimes of all the nodes
     * together, and a job may still fit no one node (a network where only one node gives it, gVisor only on
     * another), which a submit refuses rather than leave it waiting for ever.
     */
    private Selection asSubmitWould(JobSpec spec, Selection choice) {
        if (choice.refused()) {
            return choice;
        }
        try {
            nodes.validate(spec);
            return choice;
        } catch (InvalidSpecException e) {
            return new Selection(null, "refused: " + e.getMessage(), choice.rejected(), choice.candidates());
        }
    }

    private Selection choose(JobSpec spec) {
        var policy = new NodePolicy(true, nodes.limits().maxGpus());
        Selection now = selector.select(spec, nodes.runtimesFor(spec), policy, WarmPools.none());
        if (!now.refused()) {
            return now;
        }
        Selection later = waiting.select(spec, nodes.runtimesFor(spec), policy, WarmPools.none());
        return later.refused() ? now : new Selection(later.runtime(), "waits for runtime '" + later.runtime()
                + "', benched for a while after its sandboxes failed; then: " + later.reason(), later.rejected(),
                later.candidates());
    }
}
