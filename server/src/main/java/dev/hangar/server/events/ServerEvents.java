package dev.hangar.server.events;

import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.hangar.core.job.Job;
import dev.hangar.core.json.Json;
import dev.hangar.core.queue.JobStore;
import dev.hangar.core.queue.QueueListener;
import dev.hangar.core.cluster.NodeInfo;
import dev.hangar.server.NodeView;
import java.nio.charset.StandardCharsets;

/**
 * Turns what happens into events of the log: every job change the store publishes, every node
 * that joins or is lost. Runs on the store's writer thread, so it only writes the JSON and appends
 * (see {@link EventLog}); readers take it from there on their own threads.
 */
public final class ServerEvents implements AutoCloseable {
    private static final System.Logger LOG = System.getLogger(ServerEvents.class.getName());

    /**
     * {@code {"type":"job","job":{...},"stdinBytes":N}}: the job as {@code GET /v1/jobs/{id}} returns
     * it, {@code waiting} and all, but for its stdin, whose length in bytes {@code stdinBytes} gives
     * (absent without stdin). Why: a stdin of up to 1 MiB, sent to every client on each of the job's
     * changes, would fill the buffer that other clients resume from, and a spec never changes after
     * its submit.
     */
    static String jobEvent(Job job, String waiting) {
        String stdin = job.spec().stdin();
        if (stdin == null && waiting == null) {
            return Json.write(new JobEvent(ServerEvent.JOB, job)); // most jobs: written once, with no tree between
        }
        ObjectNode event = Json.mapper().createObjectNode().put("type", ServerEvent.JOB);
        ObjectNode view = Json.treeWith(job, "waiting", waiting);
        event.set("job", view);
        if (stdin != null) {
            ((ObjectNode) view.get("spec")).remove("stdin");
            event.put("stdinBytes", stdin.getBytes(StandardCharsets.UTF_8).length);
        }
        return Json.write(event);
    }

    private record JobEvent(String type, Job job) {}

    /** {@code {"type":"node","node":{...}}}. */
    record NodeEvent(String type, NodeInfo node) {}

    /** {@code {"type":"reset","reason":"..."}}: reload from the REST API, then carry on. */
    record ResetEvent(String type, String reason) {}

    private final EventLog log;
    private final AutoCloseable jobs;
    private final AutoCloseable nodes;

    public ServerEvents(JobStore store, NodeView nodeView, EventLog log) {
        this.log = log;
        this.jobs = store.subscribe(new QueueListener() {
            @Override
            public void jobChanged(Job job) {
                log.append(ServerEvent.JOB, jobEvent(job, waitingOf(job)), job.spec().tenant());
            }

            /** Why it waits, as its GET says; a failure to tell costs the event its reason, not the event. */
            private String waitingOf(Job job) {
                try {
                    return nodeView.waitingOf(job);
                } catch (RuntimeException e) {
                    LOG.log(System.Logger.Level.WARNING, "why job " + job.id() + " waits could not be told: " + e);
                    return null;
                }
            }

            @Override
            public void changesMissed(String why) {
                // clients cannot tell which jobs' events they missed: they reload
                log.append(ServerEvent.RESET, reset(why + ": reload from the REST API"));
            }
        });
        this.nodes = nodeView.watchNodes(node ->
                log.append(ServerEvent.NODE, Json.write(new NodeEvent(ServerEvent.NODE, node))));
    }

    public EventLog log() {
        return log;
    }

    /** The data of a {@code reset} event. */
    public static String reset(String reason) {
        return Json.write(new ResetEvent(ServerEvent.RESET, reason));
    }

    /** Stops listening; the log stays readable. */
    @Override
    public void close() {
        for (AutoCloseable subscription : new AutoCloseable[] {jobs, nodes}) {
            try {
                subscription.close();
            } catch (Exception e) {
                LOG.log(System.Logger.Level.DEBUG, "closing a subscription failed", e);
            }
        }
    }
}
