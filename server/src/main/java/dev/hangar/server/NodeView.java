package dev.hangar.server;

import dev.hangar.core.cluster.DrainAsk;
import dev.hangar.core.cluster.LabelAsk;
import dev.hangar.core.cluster.NodeInfo;
import dev.hangar.core.cluster.NodeStatus;
import dev.hangar.core.job.FieldError;
import dev.hangar.core.job.InvalidSpecException;
import dev.hangar.core.job.Job;
import dev.hangar.core.job.JobSpec;
import dev.hangar.core.job.JobSpecValidator;
import dev.hangar.core.job.JobState;
import dev.hangar.core.job.SpecLimits;
import dev.hangar.core.runtime.RuntimeStatus;
import dev.hangar.core.select.NodePolicy;
import dev.hangar.core.select.Rules;
import dev.hangar.core.select.RuntimeSelector;
import dev.hangar.core.select.Selection;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.function.Consumer;

/**
 * What the server knows of the nodes behind it: their runtimes, the bounds a job must fit, and
 * which nodes are there. In one-JVM mode it is the local agent, which joins when the node starts
 * and is lost when it stops ({@link LocalNode}); a cluster would answer from its node registry.
 */
public interface NodeView {
    List<RuntimeStatus> runtimes();

    /** The runtimes of the nodes this job may run on: those its {@code nodeSelector} picks. */
    default List<RuntimeStatus> runtimesFor(JobSpec spec) {
        return runtimes();
    }

    SpecLimits limits();

    /**
     * The spec, if some node could run it; else an {@link InvalidSpecException} naming each field
     * and why. One node checks it against its own bounds; a cluster against its nodes'.
     */
    default JobSpec validate(JobSpec spec) {
        return validateFields(spec);
    }

    /**
     * The spec, if each field is within the bounds of some node (the widest of each); else an
     * {@link InvalidSpecException}. Unlike {@link #validate}, it does not ask that the selection
     * rules leave the job a runtime on one node: an explanation shows why they do not.
     */
    default JobSpec validateFields(JobSpec spec) {
        return new JobSpecValidator(limits()).validate(spec);
    }

    /**
     * What the selection rules say of the job on this node, as its status reports it: none if they
     * leave it a runtime, else the field at fault and why. A runtime benched for a while after its
     * sandboxes failed counts as there, as the job waits for it; one whose probe failed does not.
     */
    static List<FieldError> ruleMisfits(JobSpec spec, NodeStatus node) {
        Selection selection = RuntimeSelector.benchedWaited().select(spec, node.runtimes(),
                new NodePolicy(node.networkAllowed(), node.capacity().gpus()));
        return selection.refused() ? List.of(new FieldError(Rules.fieldOf(spec, selection), selection.reason())) : List.of();
    }

    /**
     * Why a queued job waits though nodes could take jobs: no node that is up can run it (those
     * that could were lost), or none is up at all; empty if one that is up could. One node's jobs
     * wait for room or for labels it was restarted without (one that lacks what else a job needs
     * leases it and refuses it).
     */
    default Optional<String> waitingFor(JobSpec spec) {
        return Optional.empty();
    }

    /** A job's {@link #waitingFor} when what keeps it off the nodes that are up is this. */
    static String noNodeCanRun(List<FieldError> misfit) {
        return "no node that is up can run it: " + misfit.stream().map(error -> error.field() + ": " + error.reason())
                .collect(java.util.stream.Collectors.joining("; "));
    }

    /** Why this job waits, if it is QUEUED and does ({@link #waitingFor}); else null. */
    default String waitingOf(Job job) {
        return job.state() == JobState.QUEUED ? waitingFor(job.spec()).orElse(null) : null;
    }

    /**
     * Why jobs for this runtime (one of {@link #runtimes}) would wait in the queue: no node that is up
     * has it, only nodes lost a short while ago; empty if one that is up has it. One node's runtimes
     * are all its own.
     */
    default Optional<String> runtimeWaitingFor(String runtime) {
        return Optional.empty();
    }

    /** Whether any node is known: before one is, {@link #limits} takes a job's word for its needs. */
    default boolean anyNodeKnown() {
        return true;
    }

    /** The nodes joined now. */
    default List<NodeInfo> nodes() {
        return List.of();
    }

    /**
     * Asks a node of a cluster to drain (take no more jobs; those it runs finish) or to take jobs
     * again; the node as it stands, or null for one not up that is no longer asked. One node alone
     * has no other to take its jobs: it is stopped instead.
     */
    default NodeInfo drain(String nodeName, boolean drain) {
        throw new ApiException(409, "Not a cluster", "draining is for a node of a cluster: this server runs with its one"
                + " node, whose jobs no other node could take; stop it instead (it hands its jobs back as it stops)", List.of());
    }

    /**
     * Gives a node of a cluster these labels in place of those it was started with, kept through its
     * restarts, or (with {@code labels} null) its own again; the node as it stands (it takes them at its
     * next heartbeat), or null for one not up. One node alone takes its labels from {@code --label}.
     */
    default NodeInfo relabel(String nodeName, Map<String, String> labels) {
        throw cannotRelabel();
    }

    private static ApiException cannotRelabel() {
        return new ApiException(409, "Not a cluster", "relabelling is for a node of a cluster: this server runs with its"
                + " one node, which takes its labels from --label when it starts", List.of());
    }

    /**
     * Changes the labels a node of a cluster is asked to have, in one step against any other change: those
     * asked before, or else its own ({@code --label}), with {@code set} set and {@code removed} taken away. The labels asked
     * from now on (it takes them at its next heartbeat).
     */
    default LabelAsk changeLabels(String nodeName, Map<String, String> set, java.util.Set<String> removed) {
        throw cannotRelabel();
    }

    /** The labels nodes are asked to have in place of their own, by node name, up or not; none where nodes cannot be relabelled. */
    default List<LabelAsk> labelAsks() {
        return List.of();
    }

    /** The asks to drain kept now, by node name, for nodes up or not; none where nodes cannot be drained. */
    default List<DrainAsk> drainAsks() {
        return List.of();
    }

    /**
     * Tells the listener of every node that joins or is lost from now on (with state JOINED or
     * LOST), on the thread that learnt of it: return quickly. Returns a handle that stops it.
     */
    default AutoCloseable watchNodes(Consumer<NodeInfo> listener) {
        return () -> { };
    }
}
