package dev.hangar.cli;

import dev.hangar.core.cluster.DrainAsk;
import dev.hangar.core.cluster.LabelAsk;
import dev.hangar.core.cluster.NodeInfo;
import dev.hangar.core.job.NodeLabels;
import dev.hangar.core.json.Json;
import dev.hangar.core.pool.PoolStatus;
import dev.hangar.client.HangarApiException;
import dev.hangar.client.HangarClient;
import dev.hangar.client.HangarUnreachableException;
import java.io.PrintWriter;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;

@Command(name = "nodes", description = "List the nodes alive now: whether each takes jobs (STATE: up, or where it"
        + " stands if asked to drain), runtimes, capacity and load, last heartbeat.",
        subcommands = {NodesCommand.Drain.class, NodesCommand.Resume.class, NodesCommand.Label.class})
final class NodesCommand implements Callable<Integer> {
    @Mixin
    ClientOptions client;

    @Override
    public Integer call() {
        HangarClient api = client.client();
        List<NodeInfo> nodes = api.nodes();
        if (client.json) {
            System.out.println(Json.write(nodes));
            return 0;
        }
        var out = new PrintWriter(System.out, true);
        Tables.print(out, List.of("NODE", "STATE", "JOBS", "FREE CPUS", "FREE MEMORY", "FREE GPUS", "WARM", "RUNTIMES",
                        "NETWORK", "LABELS", "HEARTBEAT"),
                nodes.stream().map(NodesCommand::row).toList());
        if (!nodes.isEmpty()) {
            // why said: a node offers more CPUs than it has cores, which reads as a mistake unexplained
            out.println("CPUs are what jobs may reserve: by default " + dev.hangar.agent.AgentConfig.CPU_OVERCOMMIT
                    + " per core (CPU quotas share the cores); one job asks for a node's cores at most, and no more than its CPUs");
        }
        var relabelled = labelsAsked(api);
        if (!relabelled.isEmpty()) {
            // why: an operator who changes a node's --label and restarts it would see no change, and not know why
            out.println("labels set by 'hangar nodes label', in place of the nodes' --label ones: " + String.join("; ",
                    new java.util.TreeMap<>(relabelled).entrySet().stream()
                            .map(ask -> ask.getKey() + " " + NodeLabels.shown(ask.getValue())).toList())
                    + " ('hangar nodes label NODE --reset' gives a node its own)");
        }
        List<DrainAsk> notUp = asksOfNodesNotUp(api);
        if (!notUp.isEmpty()) {
            // why: a node stopped for its maintenance is listed nowhere else, and it comes back taking no job
            out.println("asked to drain, not up: " + String.join(", ", notUp.stream()
                    .map(ask -> ask.node() + " (since " + ask.askedAt() + ")").toList())
                    + "; each comes back drained until 'hangar nodes resume NODE'");
        }
        return 0;
    }

    /** The asks kept for nodes that are not up; none from a server older than that list. */
    private static List<DrainAsk> asksOfNodesNotUp(HangarClient api) {
        return unlessOlder(() -> api.drainAsks().stream().filter(ask -> !ask.up()).toList(), List.of());
    }

    /** What the call answers; {@code none} from a server older than that call (404). */
    private static <T> T unlessOlder(java.util.function.Supplier<T> call, T none) {
        try {
            return call.get();
        } catch (HangarApiException e) {
            if (e.status() == 404) {
                return none;
            }
            throw e;
        }
    }

    private static List<String> row(NodeInfo node) {
        NodeInfo.Capacity total = node.capacity();
        NodeInfo.Load load = node.load();
        return List.of(node.name(), state(node), String.valueOf(load.runningJobs()),
                Tables.trim(load.freeCpus()) + "/" + Tables.trim(total.cpus()),
                load.freeMemoryMb() + "/" + total.memoryMb() + " MiB",
                load.freeGpus() + "/" + total.gpus(),
                String.valueOf(node.pools().stream().mapToInt(PoolStatus::ready).sum()),
                String.join(",", node.runtimes()),
                node.networkAllowed() ? "allowed" : "none",
                NodeLabels.shown(node.labels()),
                heartbeat(node.heartbeatAt(), java.time.Instant.now()));
    }

    /** When the node's last heartbeat was made, to the second, and how long before {@code now} (by this host's clock). */
    static String heartbeat(java.time.Instant at, java.time.Instant now) {
        if (at == null) {
            return "-";
        }
        long ago = Math.max(0, Duration.between(at, now).toSeconds()); // a clock ahead of this one's reads as now
        return at.truncatedTo(java.time.temporal.ChronoUnit.SECONDS) + " (" + ago + " s ago)";
    }

    /** Whether it takes jobs: "up", or where it stands if asked to drain. */
    static String state(NodeInfo node) {
        return node.drain() == null ? "up" : node.drain() == NodeInfo.Drain.ASKED ? "drain asked"
                : node.drain().name().toLowerCase(java.util.Locale.ROOT);
    }

    @Command(name = "drain", description = "Ask a node to take no more jobs while those it runs finish (before its"
            + " maintenance); it stays so, through restarts, until 'hangar nodes resume'. Returns once the node has seen"
            + " the ask (within about two seconds), or with --wait once it runs no job. Needs an admin token.")
    static final class Drain implements Callable<Integer> {
        /**
         * A node sees the ask within half a second, and the server's list shows it a second later at most; one that has
         * not within this is said to.
         */
        private static final Duration SEEN_WITHIN = Duration.ofSeconds(30);

        @Mixin
        ClientOptions client;

        @Parameters(index = "0", paramLabel = "NODE", description = "The node's name, as 'hangar nodes' lists it")
        String name;

        @Option(names = "--wait", description = "Wait until the node runs no job (drained), then return: it may be stopped")
        boolean waitDrained;

        /** How long it waits for the node to see the ask, for it to be listed again, and between looks (tests shorten them). */
        Duration seenWithin = SEEN_WITHIN;
        Duration goneAfter = GONE_AFTER;
        Duration lookEvery = Duration.ofMillis(250);

        @Override
        public Integer call() throws InterruptedException {
            client.withTheParents();
            HangarClient api = client.client();
            NodeInfo node = api.drainNode(name);
            long seenBy = System.nanoTime() + seenWithin.toNanos();
            long lastUp = System.nanoTime();
            var shown = new java.util.concurrent.atomic.AtomicReference<>(node);
            try (var progress = new Progress(System.err, () -> waitingFor(name, shown.get()))) {
                while (node == null ? System.nanoTime() - lastUp < goneAfter.toNanos()
                        : node.drain() == NodeInfo.Drain.ASKED && System.nanoTime() < seenBy
                                || waitDrained && node.drain() == NodeInfo.Drain.DRAINING) {
                    Thread.sleep(lookEvery);
                    node = listed(api, name, node);
                    lastUp = node != null ? System.nanoTime() : lastUp;
                    shown.set(node);
                }
            }
            if (client.json) {
                System.out.println(Json.write(node));
            }
            return told(node);
        }

        /** Says where the node stands after the wait; 0 if it drains as asked, 1 if not (yet). */
        private int told(NodeInfo node) {
            if (node == null) {
                System.err.println("node " + name + " is no longer up (stopped or lost for " + goneAfter.toSeconds()
                        + " s): the jobs it ran, if any, go back to the queue; it stays asked to drain when it comes back");
                return 1;
            }
            if (node.drain() == null) {
                System.err.println("node " + name + " is no longer asked to drain ('hangar nodes resume' meanwhile?)");
                return 1;
            }
            if (node.drain() == NodeInfo.Drain.ASKED) {
                System.err.println("node " + name + " has not seen the ask within " + seenWithin.toSeconds() + " s (is its"
                        + " agent cut off?): it may still take a job; 'hangar nodes' shows when it has");
                return 1;
            }
            if (!client.json) {
                System.out.println(node.drain() == NodeInfo.Drain.DRAINED
                        ? "node " + name + " is drained: it takes no jobs and runs none; it may be stopped"
                        : "node " + name + " is draining: it takes no more jobs; " + node.load().runningJobs() + " running, left"
                                + " to finish ('hangar jobs --node " + name + " --state STARTING,RUNNING' lists them; 'hangar"
                                + " nodes' says 'drained' once it runs none; --wait waits for it)");
            }
            return 0;
        }
    }

    /**
     * The node as the server lists it now, null if it does not; {@code meanwhile} while the server cannot
     * say (restarting, or Redis failing over), so that a wait goes on through it.
     */
    static NodeInfo listed(HangarClient api, String name, NodeInfo meanwhile) {
        try {
            return listed(api.nodes(), name);
        } catch (HangarUnreachableException e) {
            return meanwhile;
        } catch (HangarApiException e) {
            if (e.status() < 500) {
                throw e; // a refusal (a token no longer taken, say) would be the same at every try
            }
            return meanwhile;
        }
    }

    /** The node of that name among these; null if none. */
    private static NodeInfo listed(List<NodeInfo> nodes, String name) {
        return nodes.stream().filter(n -> n.name().equals(name)).findFirst().orElse(null);
    }

    /** The labels nodes are asked to have in place of their own, by node; none from a server older than that list. */
    private static java.util.Map<String, java.util.Map<String, String>> labelsAsked(HangarClient api) {
        return unlessOlder(() -> api.labelAsks().stream()
                .collect(java.util.stream.Collectors.toMap(LabelAsk::node, LabelAsk::labels)), java.util.Map.of());
    }

    /** How long a node may be missing from the list before a wait for it ends: a heartbeat's time to live and some. */
    private static final Duration GONE_AFTER = Duration.ofSeconds(30);

    private static String waitingFor(String name, NodeInfo node) {
        return node == null ? "node " + name + " is not listed now" : node.drain() == NodeInfo.Drain.ASKED
                ? "node " + name + ": waiting for its heartbeat to see the ask"
                : "node " + name + ": " + node.load().runningJobs() + " job(s) still running";
    }

    @Command(name = "resume", description = "Take back a drain: the node takes jobs again. Needs an admin token.")
    static final class Resume implements Callable<Integer> {
        @Mixin
        ClientOptions client;

        @Parameters(index = "0", paramLabel = "NODE", description = "The node's name")
        String name;

        @Override
        public Integer call() {
            client.withTheParents();
            var node = client.client().resumeNode(name);
            if (client.json) {
                System.out.println(node.map(Json::write).orElse("null"));
            } else {
                System.out.println(node.isPresent() ? "node " + name + " takes jobs again"
                        : "node " + name + " is not up; no ask to drain it is kept now");
            }
            return 0;
        }
    }

    @Command(name = "label", description = "Change a node's labels without restarting it: KEY=VALUE sets a label, KEY-"
            + " takes one away; the others stay. The node's labels then stay so, through its restarts and in place of its"
            + " --label ones, until changed again or --reset. Returns once the node has taken them (within about two seconds),"
            + " with --reset once it has its own again. Needs an admin token.")
    static final class Label implements Callable<Integer> {
        @Mixin
        ClientOptions client;

        @Parameters(index = "0", paramLabel = "NODE", description = "The node's name, as 'hangar nodes' lists it")
        String name;

        @Parameters(index = "1..*", paramLabel = "KEY=VALUE|KEY-", description = "A label to set, or one to take away")
        List<String> changes = new java.util.ArrayList<>();

        @Option(names = "--reset", description = "Give the node its own labels again: those it was started with (--label)")
        boolean reset;

        /** How long it waits for the node to take the labels, and between looks (tests shorten them). */
        Duration takenWithin = Drain.SEEN_WITHIN;
        Duration lookEvery = Duration.ofMillis(250);

        @Override
        public Integer call() throws InterruptedException {
            client.withTheParents();
            if (reset == !changes.isEmpty()) {
                throw new IllegalArgumentException("hangar nodes label: give KEY=VALUE or KEY- changes, or --reset, not "
                        + (reset ? "both" : "neither"));
            }
            HangarClient api = client.client();
            if (reset) {
                NodeInfo node = api.resetNodeLabels(name).orElse(null);
                if (node == null) {
                    System.out.println(client.json ? "null" : "node " + name + " is not up; it has its own labels when it comes back");
                    return 0;
                }
                return told(awaitTaken(api, node, ownAgain(node)), "its own labels again:", "its own labels",
                        "those it was started with");
            }
            // changed where they are kept, from those asked before (the node may not have taken them yet)
            java.util.Map<String, String> wanted = api.changeNodeLabels(name, changes(changes)).labels();
            NodeInfo node = listed(api, name, null);
            return told(awaitTaken(api, node, n -> n.labels().equals(wanted)), "labels", "the labels",
                    NodeLabels.shown(wanted));
        }

        /**
         * Whether a node listed after a reset has its own labels again. One whose heartbeat said it had asked ones when
         * the reset was answered has them once a heartbeat says otherwise. Otherwise (it had its own, or had not yet
         * taken an ask made just before, or its server or agent does not say) the second heartbeat after the answer's
         * read the registry after the reset: it has its own labels then.
         */
        private static java.util.function.Predicate<NodeInfo> ownAgain(NodeInfo answered) {
            if (answered.labelsAsked()) {
                return n -> !n.labelsAsked();
            }
            Instant[] seen = {answered.heartbeatAt()};
            int[] beats = {0};
            return n -> {
                if (n.heartbeatAt() != null && !n.heartbeatAt().equals(seen[0])) {
                    seen[0] = n.heartbeatAt();
                    beats[0]++;
                }
                return beats[0] >= 2;
            };
        }

        /** The node as last listed (null: not listed) once {@code taken} says so of it, or when {@link #takenWithin} is over. */
        private record Wait(NodeInfo node, boolean taken) {}

        private Wait awaitTaken(HangarClient api, NodeInfo node, java.util.function.Predicate<NodeInfo> taken)
                throws InterruptedException {
            long by = System.nanoTime() + takenWithin.toNanos();
            // a node missing from a list or two (a failover) is waited for too
            while ((node == null || !taken.test(node)) && System.nanoTime() < by) {
                Thread.sleep(lookEvery);
                node = listed(api, name, node);
            }
            return new Wait(node, node != null && taken.test(node));
        }

        /**
         * Says how the wait ended: "node N has {@code has} LABELS" and 0 if the node took them, else that it
         * has not taken {@code what} ({@code shown}) and 1.
         */
        private int told(Wait wait, String has, String what, String shown) {
            NodeInfo node = wait.node();
            if (client.json) {
                System.out.println(Json.write(node));
            }
            if (!wait.taken()) {
                System.err.println("node " + name + (node == null ? " is no longer up" : " has not taken " + what + " within "
                        + takenWithin.toSeconds() + " s (is its agent cut off, or older than relabelling?)")
                        + "; it takes them when it comes back or catches up: " + shown);
                return 1;
            }
            if (!client.json) {
                System.out.println("node " + name + " has " + has + " " + NodeLabels.shown(node.labels()));
            }
            return 0;
        }

        /**
         * The changes by key: KEY=VALUE sets a label to VALUE, KEY- takes it away (null); refused, naming the
         * argument, if neither. A key given twice: the last one stands.
         */
        static java.util.Map<String, String> changes(List<String> changes) {
            var changed = new java.util.TreeMap<String, String>();
            for (String change : changes) {
                if (change.endsWith("-") && !change.contains("=")) {
                    String key = change.substring(0, change.length() - 1);
                    if (!NodeLabels.KEY.matcher(key).matches()) {
                        throw new IllegalArgumentException("hangar nodes label " + change + ": " + NodeLabels.KEY_RULE);
                    }
                    changed.put(key, null);
                } else {
                    var label = NodeLabels.parse("hangar nodes label", change);
                    changed.put(label.getKey(), label.getValue());
                }
            }
            return changed;
        }
    }
}
