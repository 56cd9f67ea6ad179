package dev.hangar.runtime.podman;

import dev.hangar.runtime.support.Programs;
import dev.hangar.runtime.support.Spawner;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.TimeUnit;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The driver's own {@code podman system service} on a Unix socket under its data directory,
 * configured by the driver's containers.conf. Started on first use, restarted when it dies,
 * stopped by {@link #close()} (the runtime calls it, from a shutdown hook too; it returns once the
 * {@link PodmanHelpers} the service started have ended too), and sent SIGTERM by
 * the kernel ({@code setpriv --pdeathsig}) if the JVM is killed outright.
 */
final class PodmanService implements AutoCloseable {
    private static final Logger LOG = LoggerFactory.getLogger(PodmanService.class);
    private static final Duration START_BOUND = Duration.ofSeconds(20);
    /** The size past which a start moves the service's log aside. */
    static final long LOG_ROLLS_AT = 1 << 20;
    /** How long close() waits for conmon and its clean-up commands, which write to the events log. */
    private static final Duration HELPERS_BOUND = Duration.ofSeconds(10);

    /** What the driver tells Podman; see {@link #writeConf}. */
    static final String CONF = """
            # Written by Hangar's podman runtime, given to podman as CONTAINERS_CONF.
            [containers]
            # runc fails with "setrlimit ... Operation not permitted" under Podman's default ulimits
            default_ulimits = []

            [engine]
            # crun fails on hybrid cgroups ("cgroups in hybrid mode not supported")
            runtime = "runc"
            # clean up an exec session as soon as it ends, not 5 minutes later: its conmon would wait
            # that long; the driver reads the exit code from the exec_died event instead
            exit_command_delay = 0
            events_logger = "file"
            events_logfile_path = "%s"
            """;

    private final Path podman;
    private final Path dir;
    private final Path conf;
    private final UnixHttp http;
    private Process process;
    private int starts;
    private boolean closed;

    PodmanService(Path podman, Path dir, Path socket) {
        this.podman = podman;
        this.dir = dir;
        this.conf = dir.resolve("containers.conf");
        this.http = new UnixHttp(socket);
    }

    UnixHttp http() {
        return http;
    }

    Path conf() {
        return conf;
    }

    synchronized int starts() {
        return starts;
    }

    synchronized Optional<Long> pid() {
        return process == null || !process.isAlive() ? Optional.empty() : Optional.of(process.pid());
    }

    /** Writes the containers.conf the service and everything it starts read. */
    static void writeConf(Path conf, Path eventsLog) throws IOException {
        Files.createDirectories(conf.getParent());
        Files.writeString(conf, CONF.formatted(eventsLog));
    }

    /** Makes sure a service answers on the socket: starts it, or restarts one that died. */
    synchronized void ensureRunning() throws IOException {
        if (closed) {
            throw new IOException("the podman runtime was closed");
        }
        if (process != null && process.isAlive() && ping()) {
            return;
        }
        if (process != null) {
            LOG.warn("podman system service (pid {}) {}; starting a new one", process.pid(),
                    process.isAlive() ? "does not answer" : "exited with " + process.exitValue());
            stop(process);
        }
        start();
    }

    private void start() throws IOException {
        Files.createDirectories(dir);
        writeConf(conf, dir.resolve("events.log"));
        stopStale();
        Files.deleteIfExists(http.socket());
        rollLog();
        List<String> command = new ArrayList<>();
        Programs.find("setpriv").ifPresent(setpriv -> command.addAll(List.of(setpriv.toString(), "--pdeathsig", "TERM", "--")));
        command.addAll(List.of(podman.toString(), "system", "service", "--time", "0", "unix://" + http.socket()));
        var builder = new ProcessBuilder(command)
                // why: conmon, started by the service, drops files such as "oom" in its working directory
                .directory(dir.toFile())
                .redirectErrorStream(true)
                .redirectOutput(ProcessBuilder.Redirect.appendTo(dir.resolve("service.log").toFile()))
                .redirectInput(ProcessBuilder.Redirect.from(new java.io.File("/dev/null")));
        builder.environment().put("CONTAINERS_CONF", conf.toString());
        // why: the spawner's thread lives as long as the JVM, so the parent-death signal fires only with it
        Process started = Spawner.start(builder);
        process = started;
        starts++;
        Files.writeString(pidFile(), started.pid() + "\n" + http.socket() + "\n");
        long deadline = System.nanoTime() + START_BOUND.toNanos();
        while (!ping()) {
            if (!started.isAlive()) {
                throw new IOException("podman system service exited with " + started.exitValue() + ": " + logTail());
            }
            if (System.nanoTime() > deadline) {
                stop(started);
                throw new IOException("podman system service did not answer on " + http.socket() + " within "
                        + START_BOUND.toSeconds() + " s: " + logTail());
            }
            sleep(20);
        }
        started.onExit().thenRun(() -> restartIfStillWanted(started));
        LOG.info("podman system service started (pid {}) on {}", started.pid(), http.socket());
    }

    /** A service that dies by itself is replaced at once, so the next job does not wait for it. */
    private void restartIfStillWanted(Process dead) {
        synchronized (this) {
            if (closed || process != dead) {
                return;
            }
        }
        Thread.ofVirtual().name("podman-service-restart").start(() -> {
            try {
                ensureRunning();
            } catch (IOException e) {
                LOG.warn("could not restart podman system service: {}", e.getMessage());
            }
        });
    }

    /** Stops a service a killed JVM left behind on this socket (its pid is in the pid file). */
    private void stopStale() {
        try {
            List<String> lines = Files.exists(pidFile()) ? Files.readAllLines(pidFile()) : List.of();
            if (lines.size() < 2) {
                return;
            }
            long pid = Long.parseLong(lines.get(0).trim());
            String socketPath = lines.get(1).trim();
            ProcessHandle.of(pid).filter(ProcessHandle::isAlive)
                    .filter(p -> commandLine(pid).contains("system service") && commandLine(pid).contains(socketPath))
                    .ifPresent(stale -> {
                        LOG.info("stopping a podman system service left behind (pid {})", pid);
                        stale.destroy();
                        try {
                            stale.onExit().get(5, TimeUnit.SECONDS);
                        } catch (Exception e) {
                            stale.destroyForcibly();
                        }
                    });
        } catch (IOException | NumberFormatException e) {
            // no usable pid file: nothing to stop
        }
    }

    private static String commandLine(long pid) {
        try {
            return new String(Files.readAllBytes(Path.of("/proc", Long.toString(pid), "cmdline")), StandardCharsets.UTF_8)
                    .replace('\0', ' ');
        } catch (IOException e) {
            return "";
        }
    }

    boolean ping() {
        try {
            return http.send("GET", "/_ping", null, null, Duration.ofSeconds(2)).status() == 200;
        } catch (IOException e) {
            return false;
        }
    }

    private Path pidFile() {
        return dir.resolve("service.pid");
    }

    /**
     * The service's log is appended to by each start (a restarted node's too): past {@link #LOG_ROLLS_AT} it is
     * moved aside, one older log kept, so that months of starts do not fill the disk.
     */
    private void rollLog() {
        Path log = dir.resolve("service.log");
        try {
            if (Files.exists(log) && Files.size(log) > LOG_ROLLS_AT) {
                Files.move(log, dir.resolve("service.log.1"), java.nio.file.StandardCopyOption.REPLACE_EXISTING);
            }
        } catch (IOException e) {
            // a log is no reason to leave Podman unavailable: it is appended to as before
            LOG.warn("could not move Podman's service log aside: {}", e.toString());
        }
    }

    String logTail() {
        try {
            List<String> lines = Files.readAllLines(dir.resolve("service.log"));
            return String.join(" | ", lines.subList(Math.max(0, lines.size() - 5), lines.size()));
        } catch (IOException e) {
            return "(no service log)";
        }
    }

    private static void stop(Process p) {
        p.destroy();
        try {
            if (!p.waitFor(5, TimeUnit.SECONDS)) {
                p.destroyForcibly().waitFor(5, TimeUnit.SECONDS);
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            p.destroyForcibly();
        }
    }

    @Override
    public void close() {
        Process p;
        synchronized (this) {
            closed = true;
            p = process;
            process = null;
        }
        if (p != null) {
            stop(p);
        }
        List<Long> left = new PodmanHelpers(conf).awaitGone(HELPERS_BOUND);
        if (!left.isEmpty()) {
            LOG.warn("podman helpers still running {} s after the service stopped: pids {}", HELPERS_BOUND.toSeconds(), left);
        }
        try {
            Files.deleteIfExists(http.socket());
            Files.deleteIfExists(pidFile());
        } catch (IOException ignored) {
            // leftovers are handled at the next start
        }
    }

    private static void sleep(long millis) throws IOException {
        try {
            Thread.sleep(millis);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IOException("interrupted while starting podman system service", e);
        }
    }
}
