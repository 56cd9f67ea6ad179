package dev.hangar.runtime.testkit;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatCode;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.assertj.core.api.Assertions.fail;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import dev.hangar.core.image.ImageStore;
import dev.hangar.core.job.Resources;
import dev.hangar.core.runtime.ExitStatus;
import dev.hangar.core.runtime.Mount;
import dev.hangar.core.runtime.NetworkMode;
import dev.hangar.core.runtime.OutputSink.Stream;
import dev.hangar.core.runtime.ProcessSpec;
import dev.hangar.core.runtime.RuntimeCapabilities;
import dev.hangar.core.runtime.RuntimeProbe;
import dev.hangar.core.runtime.Sandbox;
import dev.hangar.core.runtime.SandboxException;
import dev.hangar.core.runtime.SandboxProcess;
import dev.hangar.core.runtime.SandboxRuntime;
import dev.hangar.core.runtime.SandboxSpec;
import dev.hangar.core.runtime.SandboxState;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.nio.charset.StandardCharsets;
import java.nio.file.DirectoryStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HexFormat;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;
import java.util.Random;
import java.util.Set;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.ThreadLocalRandom;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.stream.Collectors;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * The contract every {@link SandboxRuntime} driver must meet. A driver's test extends this class
 * and gives {@link #runtime()} (called once per class) and, if it needs one, {@link #image()}.
 *
 * <p>The runtime is probed once before the tests. When the probe says the runtime is not
 * available on this host, every test is skipped (a JUnit assumption) with the probe's reason:
 * skipped, never passed.
 *
 * <p>Commands use only POSIX {@code sh} and coreutils/busybox tools, so the image may be busybox.
 * Bounds like {@link #exitBound()} are correctness bounds (a process that never ends), not timing
 * assertions. Every sandbox and process a test creates through the helpers is killed and destroyed
 * after it, whatever happened; host processes still carrying a {@link #uniqueSeconds} marker are
 * killed too, so a broken driver leaves nothing behind.
 *
 * <pre>{@code
 * class BubblewrapRuntimeContractTest extends RuntimeContractTest {
 *     @TempDir Path dataDir;   // injected before @BeforeAll: the instance lives for the whole class
 *
 *     @Override protected SandboxRuntime runtime() {
 *         return new BubblewrapRuntime(new RuntimeContext(dataDir, new LocalImageStore(dataDir.resolve("images"))));
 *     }
 * }
 * }</pre>
 *
 * <p>What the contract does not pin down (the SPI leaves it open): whether a sandbox takes more
 * than one {@code exec}, its state after its process ends by itself, and whether {@link Sandbox#id()}
 * equals {@link SandboxSpec#id()}. Each test uses one process per sandbox.
 */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
@Timeout(value = 5, unit = TimeUnit.MINUTES)
public abstract class RuntimeContractTest {

    /** How long a process that should end is given to end. */
    protected static final Duration EXIT_BOUND = Duration.ofSeconds(60);
    /** How long a process is given to end after {@link SandboxProcess#kill()} or {@link Sandbox#destroy()}. */
    protected static final Duration KILL_BOUND = Duration.ofSeconds(15);
    /** How long leftover host processes are given to disappear before a test says they remain. */
    protected static final Duration LEFTOVER_GRACE = Duration.ofSeconds(5);

    private static final Set<String> COMMON_ENV = Set.of(
            "PATH", "HOME", "USER", "LOGNAME", "SHELL", "TERM", "LANG", "LANGUAGE", "PWD", "OLDPWD",
            "SHLVL", "_", "HOSTNAME", "TMPDIR", "TZ", "container", "MAIL", "UID", "EUID");

    private SandboxRuntime runtime;
    private RuntimeProbe probe;
    private final List<Sandbox> sandboxes = new CopyOnWriteArrayList<>();
    private final List<SandboxProcess> processes = new CopyOnWriteArrayList<>();
    private final List<String> markers = new CopyOnWriteArrayList<>();

    /** The runtime under test. Called once per test class, before any test. */
    protected abstract SandboxRuntime runtime();

    /** The image sandboxes are created from; null means the runtime's default. */
    protected String image() {
        return null;
    }

    /** Bound for a process that should end by itself; raise it for slow runtimes (emulated VMs). */
    protected Duration exitBound() {
        return EXIT_BOUND;
    }

    /** Bound for a process to end after kill() or destroy(). */
    protected Duration killBound() {
        return KILL_BOUND;
    }

    // ------------------------------------------------------------------ lifecycle of the suite

    @BeforeAll
    final void contractProbeRuntimeOnce() {
        runtime = runtime();
        assertThat(runtime).as("runtime() of %s", getClass().getName()).isNotNull();
        probe = runtime.probe();
        assertThat(probe).as("probe() of runtime '%s' (a failed probe says why, it does not return null)",
                runtime.name()).isNotNull();
    }

    @BeforeEach
    final void contractRequireAvailableRuntime() {
        assumeTrue(probe.available(), () -> "runtime '" + runtime.name() + "' is not available on this host: "
                + probe.reason());
    }

    @AfterEach
    final void contractCleanUp() {
        for (SandboxProcess p : processes) {
            try {
                p.kill();
            } catch (RuntimeException e) {
                System.err.println("[runtime-contract] kill() in clean-up threw: " + e);
            }
        }
        for (Sandbox s : sandboxes) {
            try {
                s.destroy();
            } catch (RuntimeException e) {
                System.err.println("[runtime-contract] destroy() in clean-up threw: " + e);
            }
        }
        for (String marker : markers) {
            for (String left : hostProcessesWith(marker)) {
                System.err.println("[runtime-contract] killing leftover host process " + left);
                ProcessHandle.of(Long.parseLong(left.substring(0, left.indexOf(':'))))
                        .ifPresent(ProcessHandle::destroyForcibly);
            }
        }
        processes.clear();
        sandboxes.clear();
        markers.clear();
    }

    @AfterAll
    final void contractCloseRuntime() throws Exception {
        if (runtime instanceof AutoCloseable closeable) {
            closeable.close();
        }
    }

    // ------------------------------------------------------------------ helpers, usable by subclasses

    /** The runtime {@link #runtime()} gave, created once for the class. */
    protected final SandboxRuntime runtimeUnderTest() {
        return runtime;
    }

    /** What the one probe before the tests found. */
    protected final RuntimeProbe probeResult() {
        return probe;
    }

    /** A result of {@link #run}: how the process ended and what it wrote. */
    public record Run(ExitStatus status, OutputCollector output) {
        public int code() {
            return status.code();
        }

        public String stdout() {
            return output.stdoutText();
        }

        public String stderr() {
            return output.stderrText();
        }

        /** For assertion messages. */
        @Override
        public String toString() {
            return "exit " + status.code() + " limitsHit=" + status.limitsHit() + ", " + output.describe();
        }
    }

    /** {@code sh -c script sh args...}: the script sees {@code args} as {@code $1, $2, ...}. */
    protected static ProcessSpec sh(String script, String... args) {
        List<String> command = new ArrayList<>(List.of("sh", "-c", script, "sh"));
        command.addAll(List.of(args));
        return new ProcessSpec(command, Map.of(), null);
    }

    /** A command as it is, no environment, no stdin. */
    protected static ProcessSpec command(String... command) {
        return new ProcessSpec(List.of(command), Map.of(), null);
    }

    /** A fresh sandbox id. */
    protected static String newSandboxId() {
        return "contract-" + HexFormat.of().toHexDigits(ThreadLocalRandom.current().nextLong()).substring(0, 12);
    }

    /**
     * A number of seconds that is also a unique marker, e.g. {@code 300.418263}: used as a
     * {@code sleep} argument it lets {@link #hostProcessesWith} find that very process. Host
     * processes still carrying it after the test are killed, so a broken driver leaves nothing.
     */
    protected final String uniqueSeconds(int seconds) {
        String marker = seconds + "." + ThreadLocalRandom.current().nextInt(100_000, 1_000_000);
        markers.add(marker);
        return marker;
    }

    /** Creates a sandbox from {@link #image()}; it is destroyed after the test whatever happens. */
    protected final Sandbox newSandbox(Resources resources, NetworkMode network) throws SandboxException {
        return newSandbox(resources, network, List.of());
    }

    /** A sandbox with host paths mounted; destroyed after the test whatever happens. */
    protected final Sandbox newSandbox(Resources resources, NetworkMode network, List<Mount> mounts)
            throws SandboxException {
        SandboxSpec spec = new SandboxSpec(newSandboxId(), image(), resources, network, mounts);
        Sandbox sandbox = runtime.create(spec);
        assertThat(sandbox).as("create(%s)", spec).isNotNull();
        sandboxes.add(sandbox);
        return sandbox;
    }

    protected final Sandbox newSandbox() throws SandboxException {
        return newSandbox(Resources.defaults(), NetworkMode.NONE);
    }

    /** Starts a process; it is killed after the test whatever happens. */
    protected final SandboxProcess start(Sandbox sandbox, ProcessSpec spec, OutputCollector output)
            throws SandboxException {
        SandboxProcess process = sandbox.exec(spec, output);
        assertThat(process).as("exec(%s)", spec.command()).isNotNull();
        assertThat(process.exit()).as("exit() of exec(%s)", spec.command()).isNotNull();
        processes.add(process);
        return process;
    }

    /** Waits for the process to end within {@link #exitBound()}; kills it and fails if it does not. */
    protected final ExitStatus awaitExit(SandboxProcess process, OutputCollector output) {
        return awaitExit(process, output, exitBound());
    }

    /** Waits for the process to end within {@code bound}; kills it and fails if it does not. */
    protected final ExitStatus awaitExit(SandboxProcess process, OutputCollector output, Duration bound) {
        ExitStatus status;
        try {
            status = process.exit().get(bound.toMillis(), TimeUnit.MILLISECONDS);
        } catch (TimeoutException e) {
            process.kill();
            throw new AssertionError("process did not end within " + bound + " (killed it now); " + output.describe());
        } catch (ExecutionException e) {
            throw new AssertionError("exit() completed exceptionally: " + e.getCause() + "; " + output.describe(),
                    e.getCause());
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new AssertionError("interrupted waiting for exit()", e);
        }
        assertThat(status).as("exit() value").isNotNull();
        assertThat(status.limitsHit()).as("limitsHit").isNotNull();
        assertThat(output.misuse()).as("calls to OutputSink.write that broke its contract").isEmpty();
        return status;
    }

    /** The process's exit status if it ends within {@code bound}, else null (it is not killed). */
    protected static ExitStatus exitWithin(SandboxProcess process, Duration bound) {
        try {
            return process.exit().get(bound.toMillis(), TimeUnit.MILLISECONDS);
        } catch (TimeoutException e) {
            return null;
        } catch (ExecutionException e) {
            throw new AssertionError("exit() completed exceptionally: " + e.getCause(), e.getCause());
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new AssertionError("interrupted waiting for exit()", e);
        }
    }

    /**
     * Creates a sandbox, runs one process in it to its end (within {@link #exitBound()}), collects
     * its output and destroys the sandbox.
     */
    protected final Run run(Resources resources, NetworkMode network, ProcessSpec spec) throws SandboxException {
        return runIn(newSandbox(resources, network), spec);
    }

    /** Runs one process in {@code sandbox} to its end, collecting its output, then destroys the sandbox. */
    protected final Run runIn(Sandbox sandbox, ProcessSpec spec) throws SandboxException {
        try {
            OutputCollector output = new OutputCollector();
            SandboxProcess process = start(sandbox, spec, output);
            return new Run(awaitExit(process, output), output);
        } finally {
            sandbox.destroy();
        }
    }

    /** {@link #run(Resources, NetworkMode, ProcessSpec)} with default resources and no network. */
    protected final Run run(ProcessSpec spec) throws SandboxException {
        return run(Resources.defaults(), NetworkMode.NONE, spec);
    }

    /** Waits until the collector's stream holds {@code text}, failing after {@link #exitBound()}. */
    protected final void awaitOutput(OutputCollector output, Stream stream, String text) {
        try {
            if (!output.awaitText(stream, text, exitBound())) {
                fail("no \"%s\" on %s within %s; %s", text, stream, exitBound(), output.describe());
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new AssertionError("interrupted", e);
        }
    }

    /**
     * Host processes whose command line contains {@code marker}, as "pid: command line". Empty when
     * the host has no /proc.
     */
    protected static List<String> hostProcessesWith(String marker) {
        Path proc = Path.of("/proc");
        List<String> found = new ArrayList<>();
        if (!Files.isDirectory(proc)) {
            return found;
        }
        long self = ProcessHandle.current().pid();
        try (DirectoryStream<Path> dirs = Files.newDirectoryStream(proc,
                p -> p.getFileName().toString().chars().allMatch(Character::isDigit))) {
            for (Path dir : dirs) {
                if (dir.getFileName().toString().equals(Long.toString(self))) {
                    continue;
                }
                try {
                    byte[] raw = Files.readAllBytes(dir.resolve("cmdline"));
                    String cmdline = new String(raw, StandardCharsets.UTF_8).replace('\0', ' ').trim();
                    if (cmdline.contains(marker)) {
                        found.add(dir.getFileName() + ": " + cmdline);
                    }
                } catch (IOException | SecurityException gone) {
                    // the process ended while we looked
                }
            }
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        return found;
    }

    /**
     * Asserts that within {@link #LEFTOVER_GRACE} no host process carries {@code marker}. Any that
     * remain are killed (by pid) before the assertion fails, so a broken driver does not leave them.
     */
    protected static void assertNoHostProcessWith(String marker, Duration grace) {
        long deadline = System.nanoTime() + grace.toNanos();
        List<String> left = hostProcessesWith(marker);
        while (!left.isEmpty() && System.nanoTime() < deadline) {
            sleepQuietly(Duration.ofMillis(100));
            left = hostProcessesWith(marker);
        }
        if (!left.isEmpty()) {
            for (String entry : left) {
                long pid = Long.parseLong(entry.substring(0, entry.indexOf(':')));
                ProcessHandle.of(pid).ifPresent(ProcessHandle::destroyForcibly);
            }
            fail("host processes with marker %s remain %s after the process ended (killed them now): %s",
                    marker, grace, left);
        }
    }

    protected static void assertNoHostProcessWith(String marker) {
        assertNoHostProcessWith(marker, LEFTOVER_GRACE);
    }

    private static void sleepQuietly(Duration d) {
        try {
            Thread.sleep(d.toMillis());
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new AssertionError("interrupted", e);
        }
    }

    private static Resources resources(Double cpus, Long memoryMb, Integer pids) {
        return new Resources(cpus, memoryMb, pids, null, null, null);
    }

    /** A format for POSIX printf that prints exactly {@code bytes}: octal escapes for all but plain ASCII. */
    private static String printfFormat(byte[] bytes) {
        StringBuilder sb = new StringBuilder();
        for (byte b : bytes) {
            int v = b & 0xff;
            if (v >= 0x20 && v < 0x7f && v != '\\' && v != '%') {
                sb.append((char) v);
            } else {
                sb.append('\\').append(String.format(Locale.ROOT, "%03o", v));
            }
        }
        return sb.toString();
    }

    // ------------------------------------------------------------------ probe and description

    @Test
    @DisplayName("probe(): an available runtime measured a positive start time")
    void probeOfAvailableRuntimeMeasuredAStart() {
        assertThat(probe.measuredStart()).as("measuredStart of %s", probe).isNotNull();
        assertThat(probe.measuredStart()).as("measuredStart").isPositive();
        assertThat(probe.probedAt()).as("probedAt").isNotNull();
        assertThat(probe.attributes()).as("attributes").isNotNull();
    }

    @Test
    @DisplayName("the runtime has a name, a description and capabilities that include NetworkMode.NONE")
    void runtimeDescribesItself() {
        assertThat(runtime.name()).as("name()").isNotBlank();
        assertThat(runtime.description()).as("description()").isNotBlank();
        RuntimeCapabilities caps = runtime.capabilities();
        assertThat(caps).as("capabilities()").isNotNull();
        assertThat(caps.isolation()).as("capabilities().isolation()").isNotNull();
        assertThat(caps.bootClass()).as("capabilities().bootClass()").isNotNull();
        assertThat(caps.supports(NetworkMode.NONE)).as("every runtime supports NetworkMode.NONE").isTrue();
    }

    // ------------------------------------------------------------------ sandbox lifecycle

    @Test
    @DisplayName("a fresh sandbox is READY, carries the runtime's name, an id and createdAt")
    void freshSandboxIsReadyAndNamed() throws Exception {
        Instant before = Instant.now();
        Sandbox sandbox = newSandbox();
        Instant after = Instant.now();
        assertThat(sandbox.state()).as("state() of a fresh sandbox").isEqualTo(SandboxState.READY);
        assertThat(sandbox.runtime()).as("runtime()").isEqualTo(runtime.name());
        assertThat(sandbox.id()).as("id()").isNotBlank();
        assertThat(sandbox.createdAt()).as("createdAt()").isNotNull()
                .isBetween(before.minusSeconds(1), after.plusSeconds(1));
        Sandbox other = newSandbox();
        assertThat(other.id()).as("ids of two sandboxes").isNotEqualTo(sandbox.id());
    }

    @Test
    @DisplayName("RUNNING while its process runs; destroy() makes it STOPPED; destroying twice is harmless")
    void runningWhileProcessRunsStoppedAfterDestroy() throws Exception {
        String marker = uniqueSeconds(300);
        Sandbox sandbox = newSandbox();
        OutputCollector out = new OutputCollector();
        SandboxProcess process = start(sandbox, sh("echo up; sleep " + marker), out);
        awaitOutput(out, Stream.STDOUT, "up\n");
        assertThat(sandbox.state()).as("state() while the process runs").isEqualTo(SandboxState.RUNNING);
        process.kill();
        awaitExit(process, out, killBound());
        sandbox.destroy();
        assertThat(sandbox.state()).as("state() after destroy()").isEqualTo(SandboxState.STOPPED);
        assertThatCode(sandbox::destroy).as("second destroy()").doesNotThrowAnyException();
        assertThat(sandbox.state()).as("state() after a second destroy()").isEqualTo(SandboxState.STOPPED);
        assertNoHostProcessWith(marker);
    }

    @Test
    @DisplayName("destroy() of a READY sandbox, twice and through close(), is harmless")
    void destroyIsHarmlessFromReadyAndRepeated() throws Exception {
        Sandbox sandbox = newSandbox();
        assertThatCode(sandbox::destroy).as("destroy() of a READY sandbox").doesNotThrowAnyException();
        assertThat(sandbox.state()).as("state() after destroy()").isEqualTo(SandboxState.STOPPED);
        assertThatCode(sandbox::destroy).as("second destroy()").doesNotThrowAnyException();
        assertThatCode(sandbox::close).as("close() after destroy()").doesNotThrowAnyException();
        assertThat(sandbox.state()).as("state() after all that").isEqualTo(SandboxState.STOPPED);
    }

    @Test
    @DisplayName("destroy() ends the processes running in the sandbox, children included")
    void destroyEndsRunningProcesses() throws Exception {
        String marker = uniqueSeconds(300);
        Sandbox sandbox = newSandbox();
        OutputCollector out = new OutputCollector();
        SandboxProcess process = start(sandbox, sh("sleep " + marker + " & echo up; sleep " + marker), out);
        awaitOutput(out, Stream.STDOUT, "up\n");
        sandbox.destroy();
        assertThat(sandbox.state()).as("state() after destroy()").isEqualTo(SandboxState.STOPPED);
        ExitStatus status = awaitExit(process, out, killBound());
        assertThat(status.code()).as("exit code of a process ended by destroy()").isNotZero();
        assertNoHostProcessWith(marker);
    }

    @Test
    @DisplayName("exec() on a destroyed sandbox throws SandboxException")
    void execOnDestroyedSandboxThrows() throws Exception {
        Sandbox sandbox = newSandbox();
        sandbox.destroy();
        assertThatThrownBy(() -> sandbox.exec(command("echo", "no"), new OutputCollector()))
                .as("exec() after destroy()")
                .isInstanceOf(SandboxException.class);
    }

    @Test
    @DisplayName("a sandbox of an image the node lacks is refused, as the job's own fault")
    void anImageTheNodeLacksIsRefusedAsTheJobsFault() {
        String id = newSandboxId();
        assertRefusedAsTheJobsFault(
                new SandboxSpec(id, "hangar-no-such-image-" + id, Resources.defaults(), NetworkMode.NONE, List.of()));
    }

    @Test
    @DisplayName("a sandbox with a network mode the runtime lacks is refused, as the job's own fault")
    void aNetworkModeTheRuntimeLacksIsRefusedAsTheJobsFault() {
        NetworkMode lacking = Arrays.stream(NetworkMode.values()).filter(mode -> !runtime.capabilities().supports(mode))
                .findFirst().orElse(null);
        assumeTrue(lacking != null, runtime.name() + " supports every network mode");
        assertRefusedAsTheJobsFault(new SandboxSpec(newSandboxId(), image(), Resources.defaults(), lacking, List.of()));
    }

    private void assertRefusedAsTheJobsFault(SandboxSpec spec) {
        assertThatThrownBy(() -> sandboxes.add(runtime.create(spec)))
                .as("create(%s)", spec)
                .isInstanceOf(SandboxException.class)
                .satisfies(e -> assertThat(((SandboxException) e).isCausedByTheJob())
                        .as("isCausedByTheJob() of: %s", e.getMessage()).isTrue());
    }

    @Test
    @DisplayName("a command that does not exist fails cleanly: a SandboxException the job caused, or a non-zero exit")
    void missingCommandFailsCleanly() throws Exception {
        Sandbox sandbox = newSandbox();
        OutputCollector out = new OutputCollector();
        SandboxProcess process;
        try {
            process = start(sandbox, command("hangar-no-such-command-" + newSandboxId()), out);
        } catch (SandboxException refused) {
            // the job's own mistake: a runtime that blamed itself would be benched for it on every node
            assertThat(refused.isCausedByTheJob()).as("isCausedByTheJob() of: %s", refused.getMessage()).isTrue();
            return;
        }
        try {
            ExitStatus status = process.exit().get(exitBound().toMillis(), TimeUnit.MILLISECONDS);
            assertThat(status.code()).as("exit code of a command that does not exist; %s", out.describe()).isNotZero();
        } catch (ExecutionException e) {
            // the runtime told its own failure to start the program from the program's exit
            assertThat(e.getCause()).as("exit() failed with; %s", out.describe()).isInstanceOfSatisfying(
                    SandboxException.class, cause -> assertThat(cause.isCausedByTheJob()).isTrue());
        }
    }

    // ------------------------------------------------------------------ output

    @Test
    @DisplayName("stdout and stderr arrive separately and byte-exact, UTF-8 included")
    void stdoutAndStderrAreSeparateAndByteExact() throws Exception {
        byte[] outBytes = "héllo wörld — ✓ 日本語 🚀\nsecond line\n".getBytes(StandardCharsets.UTF_8);
        byte[] errBytes = "ошибка: ✗ ñ ß\n".getBytes(StandardCharsets.UTF_8);
        Run run = run(sh("printf \"$1\"; printf \"$2\" >&2", printfFormat(outBytes), printfFormat(errBytes)));
        assertThat(run.code()).as("exit code; %s", run).isZero();
        assertThat(run.output().stdout()).as("stdout bytes; %s", run).isEqualTo(outBytes);
        assertThat(run.output().stderr()).as("stderr bytes; %s", run).isEqualTo(errBytes);
    }

    @Test
    @DisplayName("large output on both streams is complete when exit() completes (1 MiB stdout, 512 KiB stderr)")
    void largeOutputIsCompleteAtExit() throws Exception {
        // stderr first: a driver that drains stdout to its end before it reads stderr deadlocks here
        Run run = run(sh("yes e | head -c 524288 >&2; head -c 1048576 /dev/zero"));
        assertThat(run.code()).as("exit code; stderr %s", run.output().totalBytes(Stream.STDERR)).isZero();
        byte[] out = run.output().stdout();
        assertThat(out.length).as("stdout byte count").isEqualTo(1048576);
        assertThat(countNot(out, (byte) 0)).as("non-zero bytes on stdout").isZero();
        byte[] err = run.output().stderr();
        assertThat(err.length).as("stderr byte count").isEqualTo(524288);
        byte[] expectedErr = new byte[524288];
        for (int i = 0; i < expectedErr.length; i += 2) {
            expectedErr[i] = 'e';
            expectedErr[i + 1] = '\n';
        }
        assertThat(Arrays.equals(err, expectedErr)).as("stderr is \"e\\n\" repeated").isTrue();
    }

    private static int countNot(byte[] bytes, byte value) {
        int n = 0;
        for (byte b : bytes) {
            if (b != value) {
                n++;
            }
        }
        return n;
    }

    @Test
    @DisplayName("command arguments reach the process verbatim (no shell re-parsing)")
    void argumentsArePassedVerbatim() throws Exception {
        String[] args = {"a b", "it's", "$HOME", "*", "", "tab\there", "new\nline", "--", "\"q\""};
        Run run = run(sh("printf '[%s]' \"$@\"", args));
        assertThat(run.code()).as("exit code; %s", run).isZero();
        String expected = Arrays.stream(args).map(a -> "[" + a + "]").collect(Collectors.joining());
        assertThat(run.stdout()).as("arguments as the process saw them").isEqualTo(expected);
    }

    @Test
    @DisplayName("output is streamed live: a line arrives before the process ends")
    void outputIsStreamedLive() throws Exception {
        String marker = uniqueSeconds(120);
        Sandbox sandbox = newSandbox();
        OutputCollector out = new OutputCollector();
        SandboxProcess process = start(sandbox, sh("echo live-out; echo live-err >&2; sleep " + marker), out);
        awaitOutput(out, Stream.STDOUT, "live-out\n");
        awaitOutput(out, Stream.STDERR, "live-err\n");
        assertThat(process.exit().isDone()).as("exit() done while the process still sleeps").isFalse();
        process.kill();
        awaitExit(process, out, killBound());
        assertThat(out.stdoutText()).as("stdout").isEqualTo("live-out\n");
        assertThat(out.stderrText()).as("stderr").isEqualTo("live-err\n");
        assertNoHostProcessWith(marker);
    }

    // ------------------------------------------------------------------ exit codes

    @ParameterizedTest(name = "exit {0}")
    @ValueSource(ints = {0, 1, 3, 42, 255})
    @DisplayName("exit codes come back exactly")
    void exitCodesComeBackExactly(int code) throws Exception {
        Run run = run(sh("exit " + code));
        assertThat(run.code()).as("exit code; %s", run).isEqualTo(code);
        assertThat(run.status().success()).as("success()").isEqualTo(code == 0);
    }

    @ParameterizedTest(name = "signal {0}")
    @ValueSource(ints = {2, 9, 15})
    @DisplayName("a process killed by a signal ends with 128 + the signal number")
    void signalDeathGives128PlusSignal(int signal) throws Exception {
        Run run = run(sh("kill -" + signal + " $$; sleep 5; exit 0"));
        assertThat(run.code()).as("exit code after kill -%d $$; %s", signal, run).isEqualTo(128 + signal);
    }

    /** A program no sandbox has, by path and by name. */
    private static final List<String> MISSING_PROGRAMS = List.of("/no/such/hangar-program", "no-such-hangar-program");

    @Test
    @DisplayName("a program that does not exist ends with 127, as in a shell, and stderr names it")
    void aProgramThatDoesNotExistEndsWith127() throws Exception {
        for (String program : MISSING_PROGRAMS) {
            Run run = run(new ProcessSpec(List.of(program, "arg"), Map.of(), null));
            assertThat(run.code()).as("exit code of %s; %s", program, run).isEqualTo(127);
            assertThat(run.stderr()).as("stderr of %s", program).contains(program);
        }
    }

    @Test
    @DisplayName("a program that cannot be run (a directory) ends with 126, as in a shell")
    void aProgramThatCannotBeRunEndsWith126() throws Exception {
        Run run = run(new ProcessSpec(List.of(NOT_RUNNABLE), Map.of(), null));
        assertThat(run.code()).as("exit code of %s; %s", NOT_RUNNABLE, run).isEqualTo(126);
    }

    /** A path every sandbox has that is no program: a directory. */
    private static final String NOT_RUNNABLE = "/tmp";

    // ------------------------------------------------------------------ environment

    @Test
    @DisplayName("variables given in ProcessSpec.env are visible, values intact")
    void envVariablesAreVisible() throws Exception {
        Map<String, String> env = new LinkedHashMap<>();
        env.put("HANGAR_CONTRACT_A", "plain");
        env.put("HANGAR_CONTRACT_B", "with spaces = and 'quotes' \"too\" $NOT_EXPANDED *");
        ProcessSpec spec = new ProcessSpec(
                List.of("sh", "-c", "printf '%s|%s' \"$HANGAR_CONTRACT_A\" \"$HANGAR_CONTRACT_B\""), env, null);
        Run run = run(spec);
        assertThat(run.code()).as("exit code; %s", run).isZero();
        assertThat(run.stdout()).as("the variables as the process saw them")
                .isEqualTo(env.get("HANGAR_CONTRACT_A") + "|" + env.get("HANGAR_CONTRACT_B"));
    }

    @Test
    @DisplayName("the host's environment does not leak into the sandbox (e.g. JAVA_HOME, MAVEN_*)")
    void hostEnvironmentIsNotLeaked() throws Exception {
        Run run = run(command("env"));
        assertThat(run.code()).as("exit code of env; %s", run).isZero();
        String seen = "\n" + run.stdout();
        if (!seen.endsWith("\n")) {
            seen += "\n";
        }
        // A leak is a host variable with the host's value. Variables a sandbox commonly sets itself
        // (PATH, HOME, LANG...) may coincide with the host's and are not held against it.
        List<String> leaked = new ArrayList<>();
        for (Map.Entry<String, String> e : System.getenv().entrySet()) {
            String key = e.getKey();
            String value = e.getValue();
            if (COMMON_ENV.contains(key) || key.startsWith("LC_") || value.isEmpty() || value.contains("\n")) {
                continue;
            }
            if (seen.contains("\n" + key + "=" + value + "\n")) {
                leaked.add(key);
            }
        }
        assertThat(leaked).as("host variables visible in the sandbox with their host values; env was:%n%s",
                run.stdout()).isEmpty();
    }

    @Test
    @DisplayName("every runtime gives a job the same base environment: PATH, HOME=/work, LANG=C.UTF-8")
    void theBaseEnvironmentIsTheSameInEveryRuntime() throws Exception {
        Run run = run(command("sh", "-c", "echo \"$HOME|$LANG|$PATH\""));
        assertThat(run.code()).as("exit code; %s", run).isZero();
        // why it matters: without LANG a job's count of characters, its sort order, its quoting change with the runtime
        assertThat(run.stdout().strip()).isEqualTo("/work|C.UTF-8|/usr/local/bin:/usr/bin:/bin:/usr/local/sbin:/usr/sbin:/sbin");
    }

    // ------------------------------------------------------------------ stdin

    @Test
    @DisplayName("bytes given as stdin are read exactly by cat (binary, UTF-8, 384 KiB)")
    void stdinBytesAreReadExactly() throws Exception {
        ByteArrayOutputStream input = new ByteArrayOutputStream();
        for (int i = 0; i < 256; i++) {
            input.write(i);
        }
        input.writeBytes("\nünïcödé ✓ 日本\n".getBytes(StandardCharsets.UTF_8));
        byte[] noise = new byte[384 * 1024];
        new Random(42).nextBytes(noise);
        input.writeBytes(noise);
        byte[] stdin = input.toByteArray();
        Run run = run(new ProcessSpec(List.of("cat"), Map.of(), stdin));
        assertThat(run.code()).as("exit code of cat; stderr %s", run.stderr()).isZero();
        assertThat(run.output().totalBytes(Stream.STDOUT)).as("bytes cat wrote").isEqualTo(stdin.length);
        assertThat(Arrays.equals(run.output().stdout(), stdin)).as("cat's output equals stdin").isTrue();
    }

    @Test
    @DisplayName("null or empty stdin reads end of file at once: cat exits 0 with no output")
    void absentStdinReadsEndOfFile() throws Exception {
        Run nullStdin = run(new ProcessSpec(List.of("cat"), Map.of(), null));
        assertThat(nullStdin.code()).as("exit code of cat with null stdin; %s", nullStdin).isZero();
        assertThat(nullStdin.output().stdout()).as("output of cat with null stdin").isEmpty();
        Run emptyStdin = run(new ProcessSpec(List.of("cat"), Map.of(), new byte[0]));
        assertThat(emptyStdin.code()).as("exit code of cat with empty stdin; %s", emptyStdin).isZero();
        assertThat(emptyStdin.output().stdout()).as("output of cat with empty stdin").isEmpty();
    }

    // ------------------------------------------------------------------ kill

    @Test
    @DisplayName("kill() ends a sleeping process promptly; kill() is idempotent")
    void killEndsProcessPromptly() throws Exception {
        String marker = uniqueSeconds(300);
        Sandbox sandbox = newSandbox();
        OutputCollector out = new OutputCollector();
        SandboxProcess process = start(sandbox, command("sleep", marker), out);
        sleepQuietly(Duration.ofSeconds(1)); // let it really start; not a timing assertion
        assertThat(process.exit().isDone()).as("exit() done before kill(); %s", out.describe()).isFalse();
        process.kill();
        process.kill();
        ExitStatus status = awaitExit(process, out, killBound());
        assertThat(status.code()).as("exit code of a killed process (128 + signal)").isBetween(129, 128 + 64);
        assertThatCode(process::kill).as("kill() after the end").doesNotThrowAnyException();
        assertNoHostProcessWith(marker);
    }

    @Test
    @DisplayName("kill() also ends the children the process forked in the background")
    void killEndsBackgroundChildren() throws Exception {
        String marker = uniqueSeconds(300);
        Sandbox sandbox = newSandbox();
        OutputCollector out = new OutputCollector();
        SandboxProcess process = start(sandbox, sh("sleep " + marker + " & echo up; sleep " + marker), out);
        awaitOutput(out, Stream.STDOUT, "up\n");
        process.kill();
        ExitStatus status = awaitExit(process, out, killBound());
        assertThat(status.code()).as("exit code of a killed process (128 + signal)").isBetween(129, 128 + 64);
        assertNoHostProcessWith(marker);
    }

    @Test
    @DisplayName("when exit() completes, everything the process started has ended")
    void exitMeansEverythingStartedHasEnded() throws Exception {
        String marker = uniqueSeconds(5);
        Sandbox sandbox = newSandbox();
        OutputCollector out = new OutputCollector();
        SandboxProcess process = start(sandbox, sh("sleep " + marker + " >/dev/null 2>&1 </dev/null & echo early"), out);
        awaitExit(process, out);
        assertThat(out.stdoutText()).as("stdout; %s", out.describe()).startsWith("early\n");
        // why before the sandbox is destroyed: its destroy ends whatever is left, which would hide a child left running
        assertNoHostProcessWith(marker, Duration.ofSeconds(1));
    }

    // ------------------------------------------------------------------ limits

    /** Why this runtime cannot tell which limit stopped a process, or empty if it can. */
    protected Optional<String> limitsHitUntold() {
        return Optional.empty();
    }

    /** Why this runtime cannot hold a sandbox to a pids limit, or empty if it can. */
    protected Optional<String> pidsLimitNotHeld() {
        return Optional.empty();
    }

    @Test
    @DisplayName("memory limit is enforced: 64 MiB, a 400 MiB buffer is stopped")
    void memoryLimitIsEnforced() throws Exception {
        Run run = outgrow64MiB();
        if (limitsHitUntold().isPresent()) {
            // with nothing else to tell the OOM from another failure (a limit the runtime refused), its SIGKILL
            assertThat(run.code()).as("exit code of a process that outgrew 64 MiB; %s", run).isEqualTo(128 + 9);
        } else {
            assertThat(run.code()).as("exit code of a process that outgrew 64 MiB; %s", run).isNotZero();
        }
        Run next = run(sh("echo ok"));
        assertThat(next.code()).as("a sandbox after the OOM; %s", next).isZero();
        assertThat(next.stdout()).isEqualTo("ok\n");
    }

    @Test
    @DisplayName("a process stopped by its memory limit is reported so")
    void memoryLimitHitIsReported() throws Exception {
        assumeTrue(limitsHitUntold().isEmpty(), () -> limitsHitUntold().orElseThrow());
        Run run = outgrow64MiB();
        assertThat(run.status().limitsHit()).as("limitsHit; %s", run)
                .anySatisfy(hit -> assertThat(hit).containsIgnoringCase("memory"));
    }

    private Run outgrow64MiB() throws SandboxException {
        // tail keeps the last 10 lines; /dev/zero has no newline, so it buffers all 400 MiB
        return run(resources(null, 64L, null), NetworkMode.NONE, sh("head -c 419430400 /dev/zero | tail > /dev/null"));
    }

    @Test
    @DisplayName("disk limit is enforced: with 8 MiB, 16 MiB cannot be written to /work, nor to /tmp")
    void diskLimitIsEnforcedInWorkAndTmp() throws Exception {
        Run run = run(new Resources(null, null, null, 8L, null, null), NetworkMode.NONE, sh("for d in /work /tmp; do"
                + " head -c 16777216 /dev/zero > $d/big 2>/dev/null; echo \"$d $? $(wc -c < $d/big)\"; rm -f $d/big; done"));
        assertThat(run.code()).as("exit code; %s", run).isZero();
        List<String> lines = run.stdout().lines().toList();
        assertThat(lines).as("one line for each directory; %s", run).hasSize(2);
        for (String line : lines) {
            String[] said = line.trim().split("\\s+");
            assertThat(said).as("directory, status, bytes written; %s", run).hasSize(3);
            assertThat(said[1]).as("status of writing 16 MiB to %s", said[0]).isNotEqualTo("0");
            assertThat(Long.parseLong(said[2])).as("bytes written to %s", said[0]).isLessThanOrEqualTo(8L * 1024 * 1024);
        }
    }

    @Test
    @DisplayName("pids limit is enforced: with 32, 100 background processes cannot start")
    void pidsLimitIsEnforced() throws Exception {
        assumeTrue(pidsLimitNotHeld().isEmpty(), () -> pidsLimitNotHeld().orElseThrow());
        assertPidsLimitHolds(newSandbox(resources(null, null, 32), NetworkMode.NONE));
        Run next = run(sh("echo ok"));
        assertThat(next.code()).as("a sandbox after the pids limit; %s", next).isZero();
    }

    /** In {@code sandbox}, limited to 32 pids, 100 background processes cannot all start, and the limit is reported. */
    private void assertPidsLimitHolds(Sandbox sandbox) throws SandboxException {
        String marker = uniqueSeconds(30);
        OutputCollector out = new OutputCollector();
        SandboxProcess process = start(sandbox,
                sh("i=0; while [ $i -lt 100 ]; do sleep " + marker + " & i=$((i+1)); done; echo spawned-all; wait"),
                out);
        // the shell fails to fork and ends, or it hangs on and gets killed
        ExitStatus status = exitWithin(process, Duration.ofSeconds(15));
        boolean killed = status == null;
        if (killed) {
            process.kill();
        }
        status = awaitExit(process, out, killBound());
        assertThat(out.stdoutText()).as("all 100 processes started; %s", out.describe())
                .doesNotContain("spawned-all");
        assertThat(killed || status.code() != 0).as("ended non-zero or had to be killed; exit %d, %s",
                status.code(), out.describe()).isTrue();
        assertThat(status.limitsHit()).as("limitsHit; exit %d, %s", status.code(), out.describe())
                .anySatisfy(hit -> assertThat(hit).containsIgnoringCase("pids"));
        process.kill();
        sandbox.destroy();
        assertNoHostProcessWith(marker);
    }

    @Test
    @DisplayName("a CPU limit of 0.5 does not break things")
    void cpuLimitStillRuns() throws Exception {
        Run run = run(resources(0.5, null, null), NetworkMode.NONE, sh("echo ok"));
        assertThat(run.code()).as("exit code; %s", run).isZero();
        assertThat(run.stdout()).isEqualTo("ok\n");
    }

    // ------------------------------------------------------------------ network

    @Test
    @DisplayName("NetworkMode.NONE: the sandbox sees no interface but loopback")
    void noNetworkOnlyLoopback() throws Exception {
        Run run = run(command("cat", "/proc/net/dev"));
        assertThat(run.code()).as("exit code of cat /proc/net/dev; %s", run).isZero();
        List<String> interfaces = run.stdout().lines()
                .filter(l -> l.contains(":"))
                .map(l -> l.substring(0, l.indexOf(':')).trim())
                .filter(name -> !name.startsWith("Inter") && !name.contains("|"))
                .toList();
        assertThat(interfaces).as("interfaces in /proc/net/dev:%n%s", run.stdout())
                .allSatisfy(name -> assertThat(name).isEqualTo("lo"));
    }

    /** Connects to 127.0.0.1:$1 with the first tool found; prints tool=NAME, or tool=none. */
    private static final String CONNECT_SCRIPT = String.join("\n",
            "if command -v nc >/dev/null 2>&1; then echo tool=nc; nc -w 3 127.0.0.1 \"$1\" </dev/null",
            "elif command -v bash >/dev/null 2>&1; then echo tool=bash; bash -c 'exec 3<>/dev/tcp/127.0.0.1/'\"$1\"",
            "elif command -v curl >/dev/null 2>&1; then echo tool=curl; curl -s -m 3 -o /dev/null \"http://127.0.0.1:$1/\"",
            "elif command -v wget >/dev/null 2>&1; then echo tool=wget; wget -q -T 3 -O /dev/null \"http://127.0.0.1:$1/\"",
            "else echo tool=none; fi",
            "exit 0");

    /** Runs {@link #CONNECT_SCRIPT} against a host ServerSocket; true if the host accepted a connection. */
    private boolean sandboxReachesHostLoopback(NetworkMode network) throws Exception {
        try (ServerSocket server = new ServerSocket(0, 50, InetAddress.getByName("127.0.0.1"))) {
            // why: accept and close at once, so a client that waits for the peer (busybox nc) ends
            var accepted = new java.util.concurrent.atomic.AtomicBoolean();
            Thread acceptor = Thread.ofVirtual().start(() -> {
                try {
                    server.accept().close();
                    accepted.set(true);
                } catch (java.io.IOException closed) {
                    // the server was closed: nobody connected
                }
            });
            Run run = run(Resources.defaults(), network, sh(CONNECT_SCRIPT, Integer.toString(server.getLocalPort())));
            assumeTrue(!run.stdout().contains("tool=none"),
                    "no nc, bash, curl or wget in the image to try a TCP connection with");
            assertThat(run.stdout()).as("connect attempt; %s", run).contains("tool=");
            acceptor.join(500);
            return accepted.get();
        }
    }

    @Test
    @DisplayName("NetworkMode.NONE: a TCP connect to a host port on 127.0.0.1 does not arrive")
    void noNetworkCannotReachHostLoopback() throws Exception {
        assertThat(sandboxReachesHostLoopback(NetworkMode.NONE))
                .as("the host's ServerSocket on 127.0.0.1 got a connection from a NetworkMode.NONE sandbox")
                .isFalse();
    }

    @Test
    @DisplayName("NetworkMode.HOST, where the runtime claims it: the host's 127.0.0.1 is reachable")
    void hostNetworkReachesHostLoopback() throws Exception {
        assumeTrue(runtime.capabilities().supports(NetworkMode.HOST), "runtime does not claim NetworkMode.HOST");
        assertThat(sandboxReachesHostLoopback(NetworkMode.HOST))
                .as("the host's ServerSocket on 127.0.0.1 got a connection from a NetworkMode.HOST sandbox")
                .isTrue();
    }

    // ------------------------------------------------------------------ mounts

    @Test
    @DisplayName("mounts: a read-only host path is readable and not writable; a writable one takes writes")
    void mountsAppearReadOnlyOrWritableAsAsked() throws Exception {
        Path host = openTempDirectory("hangar-contract-mount-");
        try {
            Path readOnly = Files.createDirectories(host.resolve("ro"));
            Path writable = Files.createDirectories(host.resolve("rw"));
            Files.writeString(readOnly.resolve("in.txt"), "from-the-host");
            // why: the sandbox user is unprivileged; the host directory must let it write
            writable.toFile().setWritable(true, false);
            Sandbox sandbox = newSandbox(Resources.defaults(), NetworkMode.NONE, List.of(
                    new Mount(readOnly.toString(), "/data/in", true), new Mount(writable.toString(), "/data/out", false)));
            var output = new OutputCollector();
            SandboxProcess process = start(sandbox, sh("cat /data/in/in.txt; echo; "
                    + "if echo x > /data/in/new 2>/dev/null; then echo ro-writable; fi; echo result > /data/out/out.txt"),
                    output);
            ExitStatus status = awaitExit(process, output);
            assertThat(status.code()).as("exit code; %s", output.describe()).isZero();
            assertThat(output.stdoutText()).contains("from-the-host").doesNotContain("ro-writable");
            assertThat(readOnly.resolve("new")).doesNotExist();
            assertThat(writable.resolve("out.txt")).hasContent("result");
        } finally {
            deleteTree(host);
        }
    }

    @Test
    @DisplayName("mounts: what a job makes in a writable mount, setuid bit and all, is not host root's")
    void whatAJobMakesInAWritableMountIsNotHostRoots() throws Exception {
        assumeTrue(hostUsersNotTheSandboxes().isEmpty(), () -> hostUsersNotTheSandboxes().orElseThrow());
        assumeTrue(Files.getAttribute(Path.of("/proc/self"), "unix:uid").equals(0), "run as another user than root,"
                + " the job's files are that user's whatever its isolation");
        Path host = openTempDirectory("hangar-contract-owner-");
        try {
            Path writable = Files.createDirectories(host.resolve("rw"));
            writable.toFile().setWritable(true, false);
            Sandbox sandbox = newSandbox(Resources.defaults(), NetworkMode.NONE,
                    List.of(new Mount(writable.toString(), "/data/out", false)));
            var output = new OutputCollector();
            // with the setuid bit: were it host root's, a program left so would run as root on the host
            SandboxProcess process = start(sandbox, sh(": > /data/out/made; chmod 4755 /data/out/made; echo done"),
                    output);
            ExitStatus status = awaitExit(process, output);
            assertThat(status.code()).as("exit code; %s", output.describe()).isZero();
            Path made = writable.resolve("made");
            assertThat(made).as("the job's copy; %s", output.describe()).exists();
            // nor uid 1000's, most hosts' first login user: under root a job is no account's
            assertThat(Files.getAttribute(made, "unix:uid")).as("host owner of a file the job made").isNotIn(0, 1000);
        } finally {
            deleteTree(host);
        }
    }

    /**
     * Why this runtime's files made in a mount have host owners other than the sandbox user's, or
     * empty if they do not (a stand-in that shares the host's users, say).
     */
    protected Optional<String> hostUsersNotTheSandboxes() {
        return Optional.empty();
    }

    /** A temporary directory the sandbox's user may pass through, as a host path it mounts must be. */
    private static Path openTempDirectory(String prefix) throws IOException {
        Path dir = Files.createTempDirectory(prefix);
        Files.setPosixFilePermissions(dir, java.nio.file.attribute.PosixFilePermissions.fromString("rwxr-xr-x"));
        return dir;
    }

    private static void deleteTree(Path dir) throws IOException {
        try (var paths = Files.walk(dir)) {
            paths.sorted(java.util.Comparator.reverseOrder()).forEach(p -> p.toFile().delete());
        }
    }

    @Test
    @DisplayName("mounts: a host file over a directory of the sandbox is the job's fault, never the runtime's")
    void aMountOfAFileOverADirectoryIsTheJobsFault() throws Exception {
        Path file = Files.createTempFile("hangar-contract-file-", ".conf");
        try {
            List<Mount> mounts = List.of(new Mount(file.toString(), "/etc", true));
            Sandbox sandbox;
            SandboxProcess process;
            var output = new OutputCollector();
            try {
                sandbox = newSandbox(Resources.defaults(), NetworkMode.NONE, mounts);
                process = start(sandbox, command("true"), output);
            } catch (SandboxException e) {
                assertThat(e.isCausedByTheJob()).as("isCausedByTheJob() of: %s", e.getMessage()).isTrue();
                return;
            }
            try {
                ExitStatus status = process.exit().get(exitBound().toMillis(), TimeUnit.MILLISECONDS);
                assertThat(status.code()).as("exit code of a job whose mount could not be made; %s", output.describe())
                        .isNotZero();
            } catch (ExecutionException e) {
                assertThat(e.getCause()).isInstanceOfSatisfying(SandboxException.class, failure -> assertThat(
                        failure.isCausedByTheJob()).as("isCausedByTheJob() of: %s", failure.getMessage()).isTrue());
            }
        } finally {
            Files.deleteIfExists(file);
        }
    }

    @Test
    @DisplayName("mounts: a read-only host path is read-only below a file system mounted inside it on the host too")
    void aReadOnlyMountIsReadOnlyBelowTheHostsMountsInsideIt() throws Exception {
        assumeTrue("root".equals(System.getProperty("user.name")), "mounting a tmpfs on the host needs root");
        // why open to all: the sandbox user is unprivileged, and a write must fail for the mount alone
        Path host = openTempDirectory("hangar-contract-nested-");
        Path nested = Files.createDirectories(host.resolve("nested"));
        Process mount = new ProcessBuilder("mount", "-t", "tmpfs", "-o", "mode=1777", "tmpfs", nested.toString())
                .inheritIO().start();
        assumeTrue(mount.waitFor() == 0, "mount -t tmpfs failed here");
        try {
            Sandbox sandbox = newSandbox(Resources.defaults(), NetworkMode.NONE,
                    List.of(new Mount(host.toString(), "/data/in", true)));
            var output = new OutputCollector();
            SandboxProcess process = start(sandbox, sh("if echo x > /data/in/nested/new 2>/dev/null; then echo"
                    + " nested-writable; fi; echo done"), output);
            ExitStatus status = awaitExit(process, output);
            assertThat(status.code()).as("exit code; %s", output.describe()).isZero();
            assertThat(output.stdoutText()).contains("done").doesNotContain("nested-writable");
            assertThat(nested.resolve("new")).doesNotExist();
        } finally {
            new ProcessBuilder("umount", "-l", nested.toString()).inheritIO().start().waitFor();
            deleteTree(host);
        }
    }

    @Test
    @DisplayName("mounts: a mount point the image lacks is made without changing the image, or refused as the job's fault")
    void aMountPointTheImageLacksIsNotLeftInTheImage() throws Exception {
        ImageStore store = imagesOrSkip();
        String name = copyOfTheImage(store, "contract-points-");
        Path host = openTempDirectory("hangar-contract-point-");
        // under a directory the image has, where a runtime that writes the container's root makes the point
        String point = "/usr/hangar-contract-point";
        Path inImage = store.resolve(name).rootfs().resolve(point.substring(1));
        try {
            Sandbox sandbox = newSandboxOn(name, List.of(new Mount(host.toString(), point + "/in", true)));
            var output = new OutputCollector();
            SandboxProcess process = start(sandbox, command("ls", "-d", point + "/in"), output);
            try {
                ExitStatus status = process.exit().get(exitBound().toMillis(), TimeUnit.MILLISECONDS);
                assertThat(status.code()).as("exit code; %s", output.describe()).isZero();
            } catch (ExecutionException e) {
                // a runtime that cannot make a point there (bwrap under its read-only bind of the image's /usr)
                assertThat(e.getCause()).isInstanceOfSatisfying(SandboxException.class, failure -> assertThat(
                        failure.isCausedByTheJob()).as("isCausedByTheJob() of: %s", failure.getMessage()).isTrue());
            }
            sandbox.destroy();
            // a later job of the image met it: a host file mounted there was refused as over a directory
            assertThat(inImage).as("left in the image once its sandbox went").doesNotExist();
        } catch (SandboxException e) {
            assertThat(e.isCausedByTheJob()).as("isCausedByTheJob() of: %s", e.getMessage()).isTrue();
            assertThat(inImage).as("left in the image by a sandbox refused").doesNotExist();
        } finally {
            deleteTree(host);
            store.remove(name);
        }
    }

    /**
     * The image store the runtime under test uses (another instance on the same directory will do),
     * for the test that removes an image; null skips that test, saying so.
     */
    protected ImageStore images() {
        return null;
    }

    @Test
    @DisplayName("images: a job keeps its image's files when the image is removed; they go with its sandbox")
    void aJobKeepsItsImagesFilesWhenTheImageIsRemoved() throws Exception {
        ImageStore store = imagesOrSkip();
        String name = copyOfTheImage(store, "contract-removed-");
        Sandbox sandbox = newSandboxOn(name);
        var output = new OutputCollector();
        // why it looks again and again: what matters is what it finds after the removal, whenever that comes
        SandboxProcess process = start(sandbox, sh("while :; do if test -x /bin/busybox; then echo kept; else echo lost;"
                + " fi; sleep 0.1; done"), output);
        awaitOutput(output, Stream.STDOUT, "kept");

        assertThat(store.remove(name)).as("removing the image of a running job").isTrue();
        assertThat(store.names()).as("the image's name, free at once").doesNotContain(name);
        long looksBefore = output.stdoutText().lines().count();
        long deadline = System.nanoTime() + exitBound().toNanos();
        while (output.stdoutText().lines().count() < looksBefore + 3 && System.nanoTime() < deadline) {
            sleepQuietly(Duration.ofMillis(50));
        }
        assertThat(output.stdoutText().lines().skip(looksBefore).toList())
                .as("what the job found, three times or more after the removal; %s", output.describe())
                .hasSizeGreaterThanOrEqualTo(3).containsOnly("kept");
        assertThat(process.exit()).as("the job").isNotDone();

        sandbox.destroy();
        assertGoneWithin(store, name, Duration.ofSeconds(20));
    }

    @Test
    @DisplayName("images: a sandbox made on an image removed before its job starts runs the job on it")
    void aSandboxMadeOnAnImageRemovedBeforeItsJobStartsRunsTheJobOnIt() throws Exception {
        ImageStore store = imagesOrSkip();
        String name = copyOfTheImage(store, "contract-early-");
        Sandbox sandbox = newSandboxOn(name); // made on the image, its job not started yet
        assertThat(store.remove(name)).isTrue();

        Run run = runIn(sandbox, sh("test -x /bin/busybox && echo kept"));
        assertThat(run.code()).as("exit code; %s", run).isZero();
        assertThat(run.stdout()).contains("kept");
        assertGoneWithin(store, name, Duration.ofSeconds(20)); // runIn destroyed the sandbox
    }

    /** The suite's image store, or the test skipped saying why. */
    private ImageStore imagesOrSkip() {
        ImageStore store = images();
        assumeTrue(store != null, "this suite gives no image store (images())");
        return store;
    }

    /** A new image, a copy of the suite's, under a name of its own. */
    private String copyOfTheImage(ImageStore store, String prefix) throws IOException {
        String name = prefix + HexFormat.of().toHexDigits(ThreadLocalRandom.current().nextInt());
        store.importRootfs(name, store.resolve(image() == null ? ImageStore.DEFAULT_IMAGE : image()).rootfs());
        return name;
    }

    private Sandbox newSandboxOn(String image) throws SandboxException {
        return newSandboxOn(image, List.of());
    }

    private Sandbox newSandboxOn(String image, List<Mount> mounts) throws SandboxException {
        Sandbox sandbox = runtime.create(new SandboxSpec(newSandboxId(), image, Resources.defaults(), NetworkMode.NONE,
                mounts));
        sandboxes.add(sandbox);
        return sandbox;
    }

    /** Asserts that nothing of the image is left in the store within the bound (it is deleted on another thread). */
    private static void assertGoneWithin(ImageStore store, String image, Duration bound) {
        long deadline = System.nanoTime() + bound.toNanos();
        while (!leftOf(store.root(), image).isEmpty() && System.nanoTime() < deadline) {
            sleepQuietly(Duration.ofMillis(100));
        }
        assertThat(leftOf(store.root(), image)).as("the image's files, once its sandbox is destroyed").isEmpty();
    }

    /** What the store keeps that is named after the image, however it keeps its images. */
    private static List<Path> leftOf(Path storeRoot, String image) {
        try (var entries = Files.walk(storeRoot, 2)) {
            return entries.filter(p -> p.getFileName().toString().contains(image)).toList();
        } catch (IOException | java.io.UncheckedIOException e) {
            return List.of(storeRoot); // a directory deleted while walked: not settled yet
        }
    }

    // ------------------------------------------------------------------ isolation

    @Test
    @DisplayName("the process cannot see host processes (fewer than 10 pids in /proc)")
    void hostProcessesAreInvisible() throws Exception {
        Run run = run(command("ls", "/proc"));
        assertThat(run.code()).as("exit code of ls /proc; %s", run).isZero();
        List<String> pids = run.stdout().lines().map(String::trim)
                .filter(l -> !l.isEmpty() && l.chars().allMatch(Character::isDigit)).toList();
        assertThat(pids).as("pids visible in the sandbox's /proc").hasSizeLessThan(10);
    }

    @Test
    @DisplayName("the process cannot change the host kernel's settings (a write to /proc/sys leaves the host's value)")
    void theHostKernelsSettingsCannotBeChanged() throws Exception {
        // a harmless setting: should the write reach the host, the finally block puts it back
        Path setting = Path.of("/proc/sys/kernel/printk_ratelimit");
        assumeTrue(Files.isWritable(setting), "only root may write " + setting + ": a sandbox of another user cannot either");
        // by lines: a /proc/sys file tells no size, and read whole this JDK got only its first byte
        String before = Files.readAllLines(setting).getFirst().trim();
        try {
            Run run = run(sh("echo " + (Long.parseLong(before) + 1) + " > " + setting + " 2>/dev/null; echo done"));
            assertThat(run.stdout()).as("%s", run).contains("done");
            assertThat(Files.readAllLines(setting).getFirst().trim()).as("the host's %s after the job wrote it", setting)
                    .isEqualTo(before);
        } finally {
            if (!Files.readAllLines(setting).getFirst().trim().equals(before)) {
                Files.writeString(setting, before);
            }
        }
    }

    @Test
    @DisplayName("the root filesystem is not writable (touch /usr/... fails, nothing appears on the host)")
    void rootIsNotWritable() throws Exception {
        assumeTrue(Files.isWritable(Path.of("/usr")), "only root may write /usr here: a sandbox of another user cannot"
                + " either, whatever its isolation");
        Path probeFile = Path.of("/usr/hangar-" + newSandboxId());
        try {
            Run run = run(command("touch", probeFile.toString()));
            assertThat(Files.exists(probeFile)).as("%s created on the host", probeFile).isFalse();
            assertThat(run.code()).as("exit code of touch %s; %s", probeFile, run).isNotZero();
        } finally {
            Files.deleteIfExists(probeFile);
        }
    }

    @Test
    @DisplayName("nothing can be made at the sandbox's root, which no disk limit bounds")
    void nothingCanBeMadeAtTheRoot() throws Exception {
        // why not skipped without root: a runtime's own root (bwrap's tmpfs) is the sandbox user's to write
        try {
            Run run = run(sh("(: > /hangar-probe) || exit 3; echo made"));
            assertThat(run.code()).as("exit code of making /hangar-probe; %s", run).isEqualTo(3);
        } finally {
            Files.deleteIfExists(Path.of("/hangar-probe")); // a runtime that failed it made it on the host, maybe
        }
    }

    @Test
    @DisplayName("the working directory is writable")
    void workingDirectoryIsWritable() throws Exception {
        Run run = run(sh("echo x > f && cat f"));
        assertThat(run.code()).as("exit code; %s", run).isZero();
        assertThat(run.stdout()).isEqualTo("x\n");
    }

    @Test
    @DisplayName("two sandboxes do not share their working directory, nor write to the host's")
    void sandboxesDoNotShareWorkingDirectory() throws Exception {
        String name = "hangar-contract-" + newSandboxId();
        Sandbox first = newSandbox();
        OutputCollector out1 = new OutputCollector();
        ExitStatus wrote = awaitExit(start(first, sh("echo secret > \"$1\" && cat \"$1\"", name), out1), out1);
        assertThat(wrote.code()).as("writing %s in the first sandbox; %s", name, out1.describe()).isZero();
        assertThat(out1.stdoutText()).isEqualTo("secret\n");
        Sandbox second = newSandbox();
        OutputCollector out2 = new OutputCollector();
        ExitStatus looked = awaitExit(start(second,
                sh("if [ -e \"$1\" ]; then echo present; else echo absent; fi", name), out2), out2);
        assertThat(looked.code()).as("looking in the second sandbox; %s", out2.describe()).isZero();
        assertThat(out2.stdoutText()).as("the first sandbox's file seen from the second").isEqualTo("absent\n");
        assertThat(Files.exists(Path.of(name))).as("%s in the test's own working directory", name).isFalse();
    }

    @Test
    @DisplayName("two sandboxes run at the same time and both finish")
    void twoSandboxesRunAtTheSameTime() throws Exception {
        Sandbox a = newSandbox();
        Sandbox b = newSandbox();
        OutputCollector outA = new OutputCollector();
        OutputCollector outB = new OutputCollector();
        ProcessSpec spec = sh("echo started; sleep 5; echo done");
        SandboxProcess pa = start(a, spec, outA);
        SandboxProcess pb = start(b, spec, outB);
        awaitOutput(outA, Stream.STDOUT, "started\n");
        awaitOutput(outB, Stream.STDOUT, "started\n");
        assertThat(pa.exit().isDone() || pb.exit().isDone())
                .as("one finished before the other started (not concurrent)").isFalse();
        assertThat(awaitExit(pa, outA).code()).as("first; %s", outA.describe()).isZero();
        assertThat(awaitExit(pb, outB).code()).as("second; %s", outB.describe()).isZero();
        assertThat(outA.stdoutText()).isEqualTo("started\ndone\n");
        assertThat(outB.stdoutText()).isEqualTo("started\ndone\n");
    }

    // ------------------------------------------------------------------ prestarted (warm) sandboxes

    /** What a driver writes on its launcher's host command line, followed by the sandbox's id. */
    protected static final String LAUNCHER_MARKER = "hangar-launcher:";

    /**
     * Host processes that kill a prestarted sandbox's launcher when killed, as "pid: command line":
     * by default those whose command line carries {@link #LAUNCHER_MARKER} and the sandbox's id.
     * A driver whose launcher is no host process of its own (it runs inside a sandbox kernel)
     * overrides this with the host processes that carry it.
     */
    protected List<String> launcherHostProcesses(Sandbox sandbox) {
        return hostProcessesWith(LAUNCHER_MARKER + sandbox.id());
    }

    /** How many starts the warm-versus-cold measurement makes of each kind (it logs, asserts nothing). */
    protected int latencyRuns() {
        return Integer.getInteger("hangar.contract.latencyRuns", 10);
    }

    /** A sandbox from {@link #image()}, prestarted: its launcher waits. Destroyed after the test. */
    protected final Sandbox newPrestartedSandbox(Resources resources) throws SandboxException {
        Sandbox sandbox = newSandbox(resources, NetworkMode.NONE);
        sandbox.prestart();
        return sandbox;
    }

    // ------------------------------------------------------------------ prestarted sandboxes

    /**
     * The "prestarted:" tests: sandboxes started ahead of their job ({@link Sandbox#prestart()}) must
     * run their one job as a cold one does. Skipped, saying why, for a runtime whose
     * {@link SandboxRuntime#prestarts()} is false. (Flat, not a nested class: surefire's counts then
     * show a whole suite skipped on a host without the runtime.)
     */
    private void requirePrestarts() {
        assumeTrue(runtime.prestarts(), () -> "runtime '" + runtime.name()
                + "' does not start sandboxes ahead of a job (prestarts() is false)");
    }

    /** Runs {@code spec} in a fresh prestarted sandbox to its end. */
    private Run runWarm(Resources resources, ProcessSpec spec) throws SandboxException {
        return runIn(newPrestartedSandbox(resources), spec);
    }

    @Test
    @DisplayName("prestarted: it runs its job with the exact argv, env and stdin, streams both outputs and reports the exit code")
    void warmRunsJobExactly() throws Exception {
        requirePrestarts();
        Instant before = Instant.now();
        Sandbox sandbox = newSandbox();
        sandbox.prestart();
        assertThat(sandbox.state()).as("state() of a prestarted sandbox").isEqualTo(SandboxState.READY);
        assertThat(sandbox.launcherReady()).as("launcherReady() once prestarted").isTrue();
        String[] args = {"a b", "it's", "$HOME", "*", "", "back\\slash", "new\nline", "'", "\"q\"", "ünï ✓ 日本",
                "--", "`id`", "$(id)", "%s"};
        Map<String, String> env = new LinkedHashMap<>();
        env.put("HANGAR_WARM_A", "it's 'quoted' \"twice\" $NOT_EXPANDED `nor` $(this) \\ *");
        env.put("HANGAR_WARM_B", "line one\nline two\n");
        env.put("HANGAR_WARM_C", "");
        ByteArrayOutputStream input = new ByteArrayOutputStream();
        input.writeBytes("it's\n$HOME \\n '\"' ünïcödé ✓\n".getBytes(StandardCharsets.UTF_8));
        for (int i = 0; i < 256; i++) {
            input.write(i);
        }
        byte[] stdin = input.toByteArray();
        List<String> command = new ArrayList<>(List.of("sh", "-c", "printf '[%s]' \"$@\"; "
                + "printf '<%s>' \"$HANGAR_WARM_A\" \"$HANGAR_WARM_B\" \"${HANGAR_WARM_C-unset}\"; "
                + "echo to-stderr >&2; cat; exit 7", "sh"));
        command.addAll(List.of(args));
        Instant submitted = Instant.now();
        OutputCollector out = new OutputCollector();
        SandboxProcess process = start(sandbox, new ProcessSpec(command, env, stdin), out);
        ExitStatus status = awaitExit(process, out);

        assertThat(sandbox.createdAt()).as("createdAt() is when the sandbox was made, before its job came")
                .isBetween(before.minusSeconds(1), submitted);
        assertThat(status.code()).as("exit code; %s", out.describe()).isEqualTo(7);
        ByteArrayOutputStream expected = new ByteArrayOutputStream();
        for (String arg : args) {
            expected.writeBytes(("[" + arg + "]").getBytes(StandardCharsets.UTF_8));
        }
        expected.writeBytes(("<" + env.get("HANGAR_WARM_A") + "><" + env.get("HANGAR_WARM_B") + "><>")
                .getBytes(StandardCharsets.UTF_8));
        expected.writeBytes(stdin);
        assertThat(out.stdout()).as("stdout: argv, env and stdin as the job saw them; %s", out.describe())
                .isEqualTo(expected.toByteArray());
        assertThat(out.stderrText()).as("stderr").isEqualTo("to-stderr\n");
    }

    @Test
    @DisplayName("prestarted: its job sees the same environment a cold sandbox's job does, no more, no less")
    void warmEnvironmentIsTheColdOne() throws Exception {
        requirePrestarts();
        ProcessSpec env = new ProcessSpec(List.of("env"), Map.of("HANGAR_WARM_X", "x y"), null);
        Run cold = run(env);
        Run warm = runWarm(Resources.defaults(), env);
        assertThat(warm.code()).as("exit code of env; %s", warm).isZero();
        // why: an engine may name the host after each container
        assertThat(variables(warm.stdout())).as("env in a prestarted sandbox; cold it was:%n%s", cold.stdout())
                .isEqualTo(variables(cold.stdout()));
    }

    private static Set<String> variables(String env) {
        return env.lines().filter(line -> !line.startsWith("HOSTNAME=")).collect(Collectors.toSet());
    }

    @ParameterizedTest(name = "exit {0}")
    @ValueSource(ints = {0, 3, 255})
    @DisplayName("prestarted: exit codes come back exactly")
    void warmExitCodes(int code) throws Exception {
        requirePrestarts();
        Run run = runWarm(Resources.defaults(), sh("exit " + code));
        assertThat(run.code()).as("exit code; %s", run).isEqualTo(code);
    }

    @Test
    @DisplayName("prestarted: a program that does not exist ends with 127, as it does cold")
    void warmProgramThatDoesNotExistEndsWith127() throws Exception {
        requirePrestarts();
        for (String program : MISSING_PROGRAMS) {
            Run run = runWarm(Resources.defaults(), new ProcessSpec(List.of(program, "arg"), Map.of(), null));
            assertThat(run.code()).as("exit code of %s; %s", program, run).isEqualTo(127);
            assertThat(run.stderr()).as("stderr of %s", program).contains(program);
        }
        Run notRunnable = runWarm(Resources.defaults(), new ProcessSpec(List.of(NOT_RUNNABLE), Map.of(), null));
        assertThat(notRunnable.code()).as("exit code of %s; %s", NOT_RUNNABLE, notRunnable).isEqualTo(126);
    }

    @ParameterizedTest(name = "signal {0}")
    @ValueSource(ints = {2, 9, 15})
    @DisplayName("prestarted: a job killed by a signal ends with 128 + the signal number")
    void warmSignalDeath(int signal) throws Exception {
        requirePrestarts();
        Run run = runWarm(Resources.defaults(), sh("kill -" + signal + " $$; sleep 5; exit 0"));
        assertThat(run.code()).as("exit code after kill -%d $$; %s", signal, run).isEqualTo(128 + signal);
    }

    @Test
    @DisplayName("prestarted: output reaches the sink given to exec() live; kill() ends the job and what it started")
    void warmStreamsLiveAndKills() throws Exception {
        requirePrestarts();
        String marker = uniqueSeconds(300);
        Sandbox sandbox = newPrestartedSandbox(Resources.defaults());
        OutputCollector out = new OutputCollector();
        SandboxProcess process = start(sandbox, sh("echo live-out; echo live-err >&2; sleep " + marker
                + " & sleep " + marker), out);
        awaitOutput(out, Stream.STDOUT, "live-out\n");
        awaitOutput(out, Stream.STDERR, "live-err\n");
        assertThat(sandbox.state()).as("state() while the job runs").isEqualTo(SandboxState.RUNNING);
        process.kill();
        ExitStatus status = awaitExit(process, out, killBound());
        assertThat(status.code()).as("exit code of a killed job").isBetween(129, 128 + 64);
        assertThat(out.stdoutText()).isEqualTo("live-out\n");
        assertThat(out.stderrText()).isEqualTo("live-err\n");
        assertNoHostProcessWith(marker);
    }

    @Test
    @DisplayName("prestarted: memory limit holds: 64 MiB, a 400 MiB buffer is stopped and reported")
    void warmMemoryLimit() throws Exception {
        requirePrestarts();
        Run run = runWarm(resources(null, 64L, null), sh("head -c 419430400 /dev/zero | tail > /dev/null"));
        assertThat(run.code()).as("exit code of a job that outgrew 64 MiB; %s", run).isNotZero();
        assertThat(run.status().limitsHit()).as("limitsHit; %s", run)
                .anySatisfy(hit -> assertThat(hit).containsIgnoringCase("memory"));
    }

    @Test
    @DisplayName("prestarted: pids limit holds: with 32, 100 background processes cannot start")
    void warmPidsLimit() throws Exception {
        requirePrestarts();
        assertPidsLimitHolds(newPrestartedSandbox(resources(null, null, 32)));
    }

    @Test
    @DisplayName("prestarted: a second exec() is refused with SandboxException, as is a second prestart()")
    void warmServesOneJob() throws Exception {
        requirePrestarts();
        Sandbox sandbox = newPrestartedSandbox(Resources.defaults());
        assertThatThrownBy(sandbox::prestart).as("prestart() twice").isInstanceOf(SandboxException.class)
                .hasMessageContaining(sandbox.id());
        OutputCollector out = new OutputCollector();
        SandboxProcess first = start(sandbox, command("echo", "first"), out);
        assertThat(sandbox.launcherReady()).as("launcherReady() once the launcher was used").isFalse();
        assertThatThrownBy(() -> sandbox.exec(command("echo", "second"), new OutputCollector()))
                .as("a second exec() on a prestarted sandbox").isInstanceOf(SandboxException.class)
                .hasMessageContaining(sandbox.id());
        assertThat(awaitExit(first, out).code()).as("the first job; %s", out.describe()).isZero();
        assertThat(out.stdoutText()).isEqualTo("first\n");
        assertThat(sandbox.launcherReady()).as("launcherReady() after the job ended").isFalse();
    }

    @Test
    @DisplayName("prestarted: launcherReady() is true while it waits, false once its launcher is killed from outside")
    void warmLauncherKilledFromOutside() throws Exception {
        requirePrestarts();
        Sandbox sandbox = newPrestartedSandbox(Resources.defaults());
        assertThat(sandbox.launcherReady()).as("launcherReady() while the launcher waits").isTrue();
        List<String> launcher = awaitLauncherHostProcesses(sandbox);
        for (String entry : launcher) {
            ProcessHandle.of(Long.parseLong(entry.substring(0, entry.indexOf(':'))))
                    .ifPresent(ProcessHandle::destroyForcibly);
        }
        long deadline = System.nanoTime() + killBound().toNanos();
        while (sandbox.launcherReady() && System.nanoTime() < deadline) {
            sleepQuietly(Duration.ofMillis(20));
        }
        assertThat(sandbox.launcherReady()).as("launcherReady() after killing %s", launcher).isFalse();
        assertThatThrownBy(() -> sandbox.exec(command("echo", "no"), new OutputCollector()))
                .as("exec() on a sandbox whose launcher died").isInstanceOf(SandboxException.class);
        sandbox.destroy();
        assertNothingLeftOf(sandbox);
    }

    @Test
    @DisplayName("prestarted: destroy() of an unused prestarted sandbox leaves no process, mount or cgroup behind")
    void warmDestroyUnusedLeavesNothing() throws Exception {
        requirePrestarts();
        Sandbox sandbox = newPrestartedSandbox(Resources.defaults());
        awaitLauncherHostProcesses(sandbox);
        sandbox.destroy();
        assertThat(sandbox.state()).as("state() after destroy()").isEqualTo(SandboxState.STOPPED);
        assertThat(sandbox.launcherReady()).as("launcherReady() after destroy()").isFalse();
        assertNothingLeftOf(sandbox);
        assertThatThrownBy(() -> sandbox.exec(command("echo", "no"), new OutputCollector()))
                .as("exec() after destroy()").isInstanceOf(SandboxException.class);
    }

    /** The launcher's host processes, once they are there (a prestart may return before its runtime has started them all). */
    private List<String> awaitLauncherHostProcesses(Sandbox sandbox) {
        long deadline = System.nanoTime() + exitBound().toNanos();
        List<String> found = launcherHostProcesses(sandbox);
        while (found.isEmpty() && System.nanoTime() < deadline) {
            sleepQuietly(Duration.ofMillis(20));
            found = launcherHostProcesses(sandbox);
        }
        assertThat(found).as("host processes of the launcher of %s", sandbox.id()).isNotEmpty();
        // why: let the runtime finish starting what it starts, so the kill hits all of it
        sleepQuietly(Duration.ofMillis(500));
        return launcherHostProcesses(sandbox);
    }

    /** No host process, mount or cgroup directory names the sandbox (after a grace for the kernel). */
    private void assertNothingLeftOf(Sandbox sandbox) throws IOException {
        assertNoHostProcessWith(LAUNCHER_MARKER + sandbox.id());
        long deadline = System.nanoTime() + LEFTOVER_GRACE.toNanos();
        List<String> left = leftoversNaming(sandbox.id());
        while (!left.isEmpty() && System.nanoTime() < deadline) {
            sleepQuietly(Duration.ofMillis(100));
            left = leftoversNaming(sandbox.id());
        }
        assertThat(left).as("mounts and cgroups naming sandbox %s after destroy()", sandbox.id()).isEmpty();
    }

    private static List<String> leftoversNaming(String id) throws IOException {
        List<String> left = new ArrayList<>();
        Path mountinfo = Path.of("/proc/self/mountinfo");
        if (Files.isReadable(mountinfo)) {
            Files.readAllLines(mountinfo).stream().filter(l -> l.contains(id)).map(l -> "mount " + l)
                    .forEach(left::add);
        }
        Path cgroups = Path.of("/sys/fs/cgroup");
        if (Files.isDirectory(cgroups)) {
            try (var walk = Files.walk(cgroups, 4)) {
                walk.filter(p -> p.getFileName() != null && p.getFileName().toString().contains(id))
                        .map(p -> "cgroup " + p).forEach(left::add);
            } catch (UncheckedIOException raced) {
                // a group went while we walked: it is not left behind
            }
        }
        return left;
    }

    @Test
    @DisplayName("prestarted: measures exec() to the job's first output, warm against cold (logged, asserts nothing)")
    void warmAgainstColdFirstOutput() throws Exception {
        requirePrestarts();
        int runs = latencyRuns();
        List<Long> cold = new ArrayList<>();
        List<Long> warm = new ArrayList<>();
        for (int i = 0; i < runs; i++) {
            cold.add(firstOutputNanos(false));
            warm.add(firstOutputNanos(true));
        }
        System.out.printf(Locale.ROOT, "[runtime-contract] %s image=%s exec() to first output, %d runs each: "
                + "cold p50 %.2f ms p99 %.2f ms | warm p50 %.2f ms p99 %.2f ms%n", runtime.name(), image(), runs,
                percentile(cold, 50), percentile(cold, 99), percentile(warm, 50), percentile(warm, 99));
    }

    private long firstOutputNanos(boolean prestarted) throws Exception {
        Sandbox sandbox = prestarted ? newPrestartedSandbox(Resources.defaults()) : newSandbox();
        if (prestarted) {
            // why: a pool's sandbox has long finished starting when a job takes it
            sleepQuietly(Duration.ofMillis(500));
        }
        try {
            var first = new java.util.concurrent.CompletableFuture<Long>();
            var out = new OutputCollector();
            dev.hangar.core.runtime.OutputSink sink = (stream, data, offset, length) -> {
                first.complete(System.nanoTime());
                out.write(stream, data, offset, length);
            };
            long begin = System.nanoTime();
            SandboxProcess process = sandbox.exec(command("echo", "first"), sink);
            processes.add(process);
            long at = first.get(exitBound().toMillis(), TimeUnit.MILLISECONDS);
            assertThat(awaitExit(process, out).code()).as("exit code of echo; %s", out.describe()).isZero();
            return at - begin;
        } finally {
            sandbox.destroy();
        }
    }

    private static double percentile(List<Long> nanos, int percentile) {
        List<Long> sorted = nanos.stream().sorted().toList();
        int index = (int) Math.ceil(percentile / 100.0 * sorted.size()) - 1;
        return sorted.get(Math.max(0, Math.min(index, sorted.size() - 1))) / 1e6;
    }
}
