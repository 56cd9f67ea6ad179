package dev.hangar.cli;

import java.util.concurrent.Callable;
import java.util.concurrent.CountDownLatch;
import java.util.stream.Collectors;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;

/** {@code hangar up}: server and agent in one JVM on the embedded store. */
@Command(name = "up", description = "Run a one-node Hangar: server and agent in this process, embedded store.")
final class UpCommand implements Callable<Integer> {
    @Option(names = "--port", description = "HTTP port (default: ${DEFAULT-VALUE}; 0 picks a free one)", defaultValue = "7070")
    int port;

    @Option(names = "--host", description = "Address to listen on (default: ${DEFAULT-VALUE})", defaultValue = "127.0.0.1")
    String host;

    @Mixin
    NodeOptions node;

    @Override
    public Integer call() throws Exception {
        if (port < 0 || port > 65535) {
            throw new IllegalArgumentException("--port must be between 0 and 65535, got " + port);
        }
        EmbeddedHangar hangar;
        try (var progress = new Progress(System.err, () -> "starting: opening the store, probing runtimes")) {
            hangar = EmbeddedHangar.start(node.dataDir(), host, port, node.agentConfig());
        }
        var stopped = new CountDownLatch(1);
        Runtime.getRuntime().addShutdownHook(new Thread(() -> {
            hangar.close();
            stopped.countDown();
        }));
        String runtimes = hangar.agent().runtimes().stream()
                .map(r -> r.name() + (r.probe().available() ? "" : " (unavailable: " + r.probe().reason() + ")"))
                .collect(Collectors.joining(", "));
        System.out.println("Hangar is up at http://" + host + ":" + hangar.port() + " (node " + hangar.agent().nodeName()
                + ", store " + node.dataDir() + ")");
        System.out.println("runtimes: " + runtimes);
        long usable = hangar.agent().runtimes().stream().filter(r -> r.probe().available()).count();
        if (usable == 0) {
            System.out.println("warning: no runtime is usable on this host; jobs will be refused. See 'hangar runtimes'.");
        }
        System.out.flush();
        stopped.await();
        return 0;
    }
}
