package dev.hangar.runtime.testkit;

import dev.hangar.core.runtime.BootClass;
import dev.hangar.core.runtime.ExitStatus;
import dev.hangar.core.runtime.Isolation;
import dev.hangar.core.runtime.NetworkMode;
import dev.hangar.core.runtime.OutputSink;
import dev.hangar.core.runtime.ProcessSpec;
import dev.hangar.core.runtime.RuntimeCapabilities;
import dev.hangar.core.runtime.RuntimeProbe;
import dev.hangar.core.runtime.Sandbox;
import dev.hangar.core.runtime.SandboxException;
import dev.hangar.core.runtime.SandboxProcess;
import dev.hangar.core.runtime.SandboxRuntime;
import dev.hangar.core.runtime.SandboxSpec;
import dev.hangar.core.runtime.SandboxState;
import dev.hangar.core.runtime.Threading;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.EnumMap;
import java.util.EnumSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;

/**
 * A deliberately naive runtime for testing the contract suite itself: plain host processes in a
 * temporary directory each, with the host's environment, no limits and the host's network. It gets
 * the plumbing right (streams, stdin, exit codes, killing the process tree) and the isolation
 * wrong, so the contract must pass the former and fail the latter. {@link Fault}s break one piece
 * of the plumbing each, to show that the test for it can fail.
 */
final class HostProcessRuntime implements SandboxRuntime {

    /** One way to get the plumbing wrong. */
    enum Fault {
        /** Output reaches the sink only when the process has ended. */
        BUFFER_OUTPUT_UNTIL_EXIT,
        /** stderr goes to the sink as STDOUT. */
        STDERR_INTO_STDOUT,
        /** Each stream is cut after 1,000,000 bytes. */
        LOSE_OUTPUT_TAIL,
        /** stdin is closed without writing the given bytes. */
        NO_STDIN,
        /** With null stdin, the pipe is left open. */
        LEAVE_STDIN_OPEN,
        /** ProcessSpec.env is ignored. */
        IGNORE_ENV,
        /** The command is joined with spaces and re-parsed by a shell. */
        SHELL_JOIN_ARGS,
        /** kill() kills the process but not its children. */
        KILL_PARENT_ONLY,
        /** A death by signal is reported as exit code 1. */
        SIGNAL_AS_ONE,
        /** The sandbox never leaves READY until destroyed. */
        STATE_ALWAYS_READY,
        /** exec() works after destroy(). */
        EXEC_AFTER_DESTROY,
        /** All sandboxes share one working directory. */
        SHARED_WORKDIR,
        /** The probe reports no start time. */
        PROBE_WITHOUT_TIMING
    }

    private final Set<Fault> faults;
    private Path sharedDir;

    HostProcessRuntime() {
        this(EnumSet.noneOf(Fault.class));
    }

    HostProcessRuntime(Set<Fault> faults) {
        this.faults = faults.isEmpty() ? EnumSet.noneOf(Fault.class) : EnumSet.copyOf(faults);
    }

    private boolean has(Fault fault) {
        return faults.contains(fault);
    }

    @Override
    public String name() {
        return "host-process";
    }

    @Override
    public String description() {
        return "plain host processes, no isolation (testkit self-test only)";
    }

    /** A job that names no image runs on the host's files. */
    @Override
    public String imageOf(String named) {
        return named;
    }

    @Override
    public RuntimeCapabilities capabilities() {
        return new RuntimeCapabilities(Isolation.PROCESS, BootClass.INSTANT, 0, Threading.NATIVE, true, true, false,
                false, false, false, false, Set.of(NetworkMode.NONE, NetworkMode.HOST));
    }

    @Override
    public RuntimeProbe probe() {
        return RuntimeProbe.available(has(Fault.PROBE_WITHOUT_TIMING) ? null : Duration.ofMillis(3),
                Map.of("kind", "naive"));
    }

    @Override
    public synchronized Sandbox create(SandboxSpec spec) throws SandboxException {
        try {
            if (has(Fault.SHARED_WORKDIR)) {
                if (sharedDir == null) {
                    sharedDir = Files.createTempDirectory("hangar-host-shared");
                }
                return new HostSandbox(spec.id(), sharedDir);
            }
            return new HostSandbox(spec.id(), Files.createTempDirectory("hangar-host-sandbox"));
        } catch (IOException e) {
            throw new SandboxException("no work dir", e);
        }
    }

    private final class HostSandbox implements Sandbox {
        private final String id;
        private final Path dir;
        private final Instant createdAt = Instant.now();
        private volatile SandboxState state = SandboxState.READY;
        private volatile HostProcess process;

        HostSandbox(String id, Path dir) {
            this.id = id;
            this.dir = dir;
        }

        @Override
        public String id() {
            return id;
        }

        @Override
        public String runtime() {
            return name();
        }

        @Override
        public SandboxState state() {
            return state;
        }

        @Override
        public Instant createdAt() {
            return createdAt;
        }

        @Override
        public synchronized SandboxProcess exec(ProcessSpec spec, OutputSink sink) throws SandboxException {
            if (state == SandboxState.STOPPED && !has(Fault.EXEC_AFTER_DESTROY)) {
                throw new SandboxException("sandbox " + id + " is destroyed");
            }
            List<String> command = new ArrayList<>();
            // its own process group, so kill() reaches a child forked at the very moment of the kill
            command.add("setsid");
            command.addAll(has(Fault.SHELL_JOIN_ARGS)
                    ? List.of("sh", "-c", String.join(" ", spec.command()))
                    : spec.command());
            ProcessBuilder pb = new ProcessBuilder(command).directory(dir.toFile());
            if (!has(Fault.IGNORE_ENV)) {
                pb.environment().putAll(spec.env());
            }
            Process p;
            try {
                p = pb.start();
            } catch (IOException e) {
                throw new SandboxException("cannot start " + spec.command(), e);
            }
            if (!has(Fault.STATE_ALWAYS_READY)) {
                state = SandboxState.RUNNING;
            }
            process = new HostProcess(p, spec.stdin(), sink);
            return process;
        }

        @Override
        public synchronized void destroy() {
            if (process != null) {
                process.kill();
                try {
                    process.exit().get(10, TimeUnit.SECONDS);
                } catch (Exception e) {
                    // destroy() must not hang; the contract will notice
                }
            }
            state = SandboxState.STOPPED;
            if (has(Fault.EXEC_AFTER_DESTROY) || has(Fault.SHARED_WORKDIR)) {
                return;
            }
            try (Stream<Path> files = Files.walk(dir)) {
                files.sorted(Comparator.reverseOrder()).forEach(f -> f.toFile().delete());
            } catch (IOException e) {
                // already gone
            }
        }
    }

    /** Holds output back until {@link #flush()}. */
    private static final class HeldSink implements OutputSink {
        private final OutputSink target;
        private final List<Map.Entry<Stream, byte[]>> held = new ArrayList<>();

        HeldSink(OutputSink target) {
            this.target = target;
        }

        @Override
        public synchronized void write(Stream stream, byte[] data, int offset, int length) {
            held.add(Map.entry(stream, java.util.Arrays.copyOfRange(data, offset, offset + length)));
        }

        synchronized void flush() {
            held.forEach(e -> target.write(e.getKey(), e.getValue(), 0, e.getValue().length));
            held.clear();
        }
    }

    /** Passes at most a number of bytes of each stream. */
    private static final class CappedSink implements OutputSink {
        private final OutputSink target;
        private final Map<Stream, Long> passed = new EnumMap<>(Stream.class);

        CappedSink(OutputSink target) {
            this.target = target;
        }

        @Override
        public synchronized void write(Stream stream, byte[] data, int offset, int length) {
            long before = passed.getOrDefault(stream, 0L);
            int n = (int) Math.max(0, Math.min(length, 1_000_000 - before));
            passed.put(stream, before + length);
            if (n > 0) {
                target.write(stream, data, offset, n);
            }
        }
    }

    private final class HostProcess implements SandboxProcess {
        private final Process process;
        private final CompletableFuture<ExitStatus> exit;

        HostProcess(Process process, byte[] stdin, OutputSink sink) {
            this.process = process;
            HeldSink held = has(Fault.BUFFER_OUTPUT_UNTIL_EXIT) ? new HeldSink(sink) : null;
            OutputSink target = held != null ? held : has(Fault.LOSE_OUTPUT_TAIL) ? new CappedSink(sink) : sink;
            if (!(stdin == null && has(Fault.LEAVE_STDIN_OPEN))) {
                byte[] toWrite = has(Fault.NO_STDIN) ? null : stdin;
                Thread.ofPlatform().daemon().start(() -> {
                    try (OutputStream os = process.getOutputStream()) {
                        if (toWrite != null) {
                            os.write(toWrite);
                        }
                    } catch (IOException ignored) {
                        // the process did not read it all
                    }
                });
            }
            CompletableFuture<Void> out = pump(process.getInputStream(), OutputSink.Stream.STDOUT, target);
            CompletableFuture<Void> err = pump(process.getErrorStream(),
                    has(Fault.STDERR_INTO_STDOUT) ? OutputSink.Stream.STDOUT : OutputSink.Stream.STDERR, target);
            this.exit = process.onExit().thenCombine(CompletableFuture.allOf(out, err), (p, v) -> {
                if (held != null) {
                    held.flush();
                }
                int code = p.exitValue();
                if (has(Fault.SIGNAL_AS_ONE) && code > 128) {
                    code = 1;
                }
                return new ExitStatus(code, List.of());
            });
        }

        private static CompletableFuture<Void> pump(InputStream is, OutputSink.Stream stream, OutputSink sink) {
            CompletableFuture<Void> done = new CompletableFuture<>();
            Thread.ofPlatform().daemon().start(() -> {
                byte[] buf = new byte[8192];
                try (is) {
                    int n;
                    while ((n = is.read(buf)) >= 0) {
                        sink.write(stream, buf, 0, n);
                    }
                } catch (IOException e) {
                    // the JDK closes a dead process's pipe under a blocked reader: that is its end
                } finally {
                    done.complete(null);
                }
            });
            return done;
        }

        @Override
        public CompletableFuture<ExitStatus> exit() {
            return exit;
        }

        /**
         * Kills the process group: a snapshot of descendants would miss a child forked after it,
         * and that child would outlive the kill and hold the output pipes open.
         */
        @Override
        public void kill() {
            // naive on purpose: once the leader ended, what it left running is left alone, as the contract's
            // exitMeansEverythingStartedHasEnded must catch
            if (!has(Fault.KILL_PARENT_ONLY) && process.isAlive()) {
                try {
                    new ProcessBuilder("sh", "-c", "kill -9 -" + process.pid()).start().waitFor();
                } catch (IOException e) {
                    throw new UncheckedIOException(e);
                } catch (InterruptedException e) {
                    Thread.currentThread().interrupt();
                }
            }
            process.destroyForcibly();
        }
    }
}
