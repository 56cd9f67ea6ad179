package dev.hangar.runtime.testkit;

import static org.assertj.core.api.Assertions.assertThat;
import static org.junit.platform.engine.discovery.DiscoverySelectors.selectClass;
import static org.junit.platform.engine.discovery.DiscoverySelectors.selectMethod;

import dev.hangar.core.runtime.NetworkMode;
import dev.hangar.core.runtime.RuntimeCapabilities;
import dev.hangar.core.runtime.RuntimeProbe;
import dev.hangar.core.runtime.Sandbox;
import dev.hangar.core.runtime.SandboxRuntime;
import dev.hangar.core.runtime.SandboxSpec;
import dev.hangar.runtime.testkit.HostProcessRuntime.Fault;
import java.io.IOException;
import java.lang.reflect.Method;
import java.time.Duration;
import java.util.Arrays;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import java.util.TreeSet;
import java.util.concurrent.ConcurrentHashMap;
import java.util.stream.Collectors;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;
import org.junit.platform.engine.DiscoverySelector;
import org.junit.platform.engine.TestExecutionResult;
import org.junit.platform.engine.support.descriptor.MethodSource;
import org.junit.platform.launcher.Launcher;
import org.junit.platform.launcher.LauncherDiscoveryRequest;
import org.junit.platform.launcher.TestExecutionListener;
import org.junit.platform.launcher.TestIdentifier;
import org.junit.platform.launcher.core.LauncherDiscoveryRequestBuilder;
import org.junit.platform.launcher.core.LauncherFactory;

/**
 * Tests the contract suite itself by running it, through the JUnit launcher, against runtimes whose
 * behaviour is known: one that is not available, and a naive one that runs plain host processes.
 */
class RuntimeContractSelfTest {

    /** A runtime whose probe fails; creating a sandbox would be a bug of the suite. */
    static final class UnavailableContract extends RuntimeContractTest {
        static final String REASON = "no frobnicator on this host";

        @Override
        protected SandboxRuntime runtime() {
            return new SandboxRuntime() {
                @Override
                public String name() {
                    return "unavailable";
                }

                @Override
                public String description() {
                    return "never available";
                }

                @Override
                public RuntimeCapabilities capabilities() {
                    return new HostProcessRuntime().capabilities();
                }

                @Override
                public RuntimeProbe probe() {
                    return RuntimeProbe.unavailable(REASON);
                }

                @Override
                public Sandbox create(SandboxSpec spec) {
                    throw new AssertionError("create() called although the probe failed");
                }
            };
        }
    }

    /** The naive host-process runtime. */
    static final class HostProcessContract extends RuntimeContractTest {
        @Override
        protected SandboxRuntime runtime() {
            return new HostProcessRuntime();
        }
    }

    /** The naive runtime with the faults in {@link #faults}, and short bounds so hangs fail fast. */
    static final class FaultyContract extends RuntimeContractTest {
        static volatile Set<Fault> faults = Set.of();

        @Override
        protected SandboxRuntime runtime() {
            return new HostProcessRuntime(faults);
        }

        @Override
        protected Duration exitBound() {
            return Duration.ofSeconds(10);
        }

        @Override
        protected Duration killBound() {
            return Duration.ofSeconds(5);
        }
    }

    /** Per test method (parameterized invocations folded in): worst status and first failure. */
    private static Map<String, String> runContract(Class<?> contract) {
        return runContract(List.of(selectClass(contract)));
    }

    private static Map<String, String> runContract(List<? extends DiscoverySelector> selectors) {
        Map<String, String> results = new ConcurrentHashMap<>();
        Map<String, Long> startedAt = new ConcurrentHashMap<>();
        TestExecutionListener listener = new TestExecutionListener() {
            @Override
            public void executionStarted(TestIdentifier id) {
                startedAt.put(id.getUniqueId(), System.nanoTime());
            }

            @Override
            public void executionSkipped(TestIdentifier id, String reason) {
                method(id).ifPresent(m -> results.putIfAbsent(m, "SKIPPED " + reason));
            }

            @Override
            public void executionFinished(TestIdentifier id, TestExecutionResult result) {
                if (!id.isTest()) {
                    return;
                }
                method(id).ifPresent(m -> {
                    long ms = (System.nanoTime() - startedAt.getOrDefault(id.getUniqueId(), System.nanoTime())) / 1_000_000;
                    String status = result.getStatus() + " (" + ms + " ms)"
                            + result.getThrowable().map(t -> " " + t).orElse("");
                    results.merge(m, status, (old, now) -> old.startsWith("SUCCESSFUL") ? now : old);
                });
            }

            private java.util.Optional<String> method(TestIdentifier id) {
                return id.getSource().filter(MethodSource.class::isInstance)
                        .map(s -> ((MethodSource) s).getMethodName());
            }
        };
        LauncherDiscoveryRequest request = LauncherDiscoveryRequestBuilder.request()
                .selectors(selectors).build();
        Launcher launcher = LauncherFactory.create();
        launcher.execute(request, listener);
        return new TreeMap<>(results);
    }

    private static Set<String> withStatus(Map<String, String> results, String prefix) {
        return results.entrySet().stream().filter(e -> e.getValue().startsWith(prefix))
                .map(Map.Entry::getKey).collect(Collectors.toCollection(TreeSet::new));
    }

    /** The contract test that must catch each fault. */
    private static String testCatching(Fault fault) {
        return switch (fault) {
            case BUFFER_OUTPUT_UNTIL_EXIT -> "outputIsStreamedLive";
            case STDERR_INTO_STDOUT -> "stdoutAndStderrAreSeparateAndByteExact";
            case LOSE_OUTPUT_TAIL -> "largeOutputIsCompleteAtExit";
            case NO_STDIN -> "stdinBytesAreReadExactly";
            case LEAVE_STDIN_OPEN -> "absentStdinReadsEndOfFile";
            case IGNORE_ENV -> "envVariablesAreVisible";
            case SHELL_JOIN_ARGS -> "argumentsArePassedVerbatim";
            case KILL_PARENT_ONLY -> "killEndsBackgroundChildren";
            case SIGNAL_AS_ONE -> "signalDeathGives128PlusSignal";
            case STATE_ALWAYS_READY -> "runningWhileProcessRunsStoppedAfterDestroy";
            case EXEC_AFTER_DESTROY -> "execOnDestroyedSandboxThrows";
            case SHARED_WORKDIR -> "sandboxesDoNotShareWorkingDirectory";
            case PROBE_WITHOUT_TIMING -> "probeOfAvailableRuntimeMeasuredAStart";
        };
    }

    @ParameterizedTest(name = "{0}")
    @EnumSource(Fault.class)
    void eachPlumbingFaultIsCaught(Fault fault) {
        String name = testCatching(fault);
        Method method = Arrays.stream(RuntimeContractTest.class.getDeclaredMethods())
                .filter(m -> m.getName().equals(name)).findFirst().orElseThrow();
        Map<String, String> results;
        FaultyContract.faults = Set.of(fault);
        try {
            results = runContract(List.of(selectMethod(FaultyContract.class, method)));
        } finally {
            FaultyContract.faults = Set.of();
        }
        assertThat(results.get(name)).as("%s with fault %s: %s", name, fault, results).startsWith("FAILED");
    }

    @Test
    void unavailableRuntimeSkipsEveryTestWithTheProbesReason() {
        Map<String, String> results = runContract(UnavailableContract.class);
        assertThat(results).as("contract methods seen").hasSizeGreaterThan(20);
        assertThat(results).allSatisfy((method, status) -> {
            assertThat(status).as(method).startsWith("ABORTED");
            assertThat(status).as(method).contains(UnavailableContract.REASON);
        });
    }

    @Test
    void naiveHostRuntimePassesPlumbingAndFailsIsolation() throws IOException {
        Map<String, String> results = runContract(HostProcessContract.class);
        String report = results.entrySet().stream().map(e -> e.getKey() + " -> " + e.getValue())
                .collect(Collectors.joining("\n  ", "\n  ", ""));

        // plumbing the naive runtime gets right: these tests must pass on it
        assertThat(withStatus(results, "SUCCESSFUL")).as(report).contains(
                "probeOfAvailableRuntimeMeasuredAStart",
                "runtimeDescribesItself",
                "freshSandboxIsReadyAndNamed",
                "runningWhileProcessRunsStoppedAfterDestroy",
                "destroyIsHarmlessFromReadyAndRepeated",
                "destroyEndsRunningProcesses",
                "execOnDestroyedSandboxThrows",
                "missingCommandFailsCleanly",
                "stdoutAndStderrAreSeparateAndByteExact",
                "largeOutputIsCompleteAtExit",
                "argumentsArePassedVerbatim",
                "outputIsStreamedLive",
                "exitCodesComeBackExactly",
                "signalDeathGives128PlusSignal",
                "envVariablesAreVisible",
                "stdinBytesAreReadExactly",
                "absentStdinReadsEndOfFile",
                "killEndsProcessPromptly",
                "killEndsBackgroundChildren",
                "cpuLimitStillRuns",
                "workingDirectoryIsWritable",
                "sandboxesDoNotShareWorkingDirectory",
                "twoSandboxesRunAtTheSameTime");

        // isolation it lacks: these tests must fail on it
        Set<String> mustFail = new TreeSet<>(List.of(
                "hostEnvironmentIsNotLeaked",
                "memoryLimitIsEnforced",
                "pidsLimitIsEnforced",
                "exitMeansEverythingStartedHasEnded",
                // it has no images and ignores the network mode asked for
                "anImageTheNodeLacksIsRefusedAsTheJobsFault",
                "aNetworkModeTheRuntimeLacksIsRefusedAsTheJobsFault",
                // no size-capped /work, and no mounts made
                "diskLimitIsEnforcedInWorkAndTmp",
                "mountsAppearReadOnlyOrWritableAsAsked"));
        if (Files.getAttribute(Path.of("/proc/self"), "unix:uid").equals(0)) {
            // as root its jobs write the host's root and own what they make (else the first and last skip, saying why)
            mustFail.addAll(List.of("rootIsNotWritable", "nothingCanBeMadeAtTheRoot",
                    "whatAJobMakesInAWritableMountIsNotHostRoots"));
        }
        if (System.getenv().keySet().stream().anyMatch(k -> k.equals("JAVA_HOME") || k.startsWith("MAVEN"))) {
            mustFail.add("hostEnvironmentIsNotLeaked");
        }
        String netDev = Files.readString(Path.of("/proc/net/dev"));
        if (netDev.lines().filter(l -> l.contains(":")).anyMatch(l -> !l.substring(0, l.indexOf(':')).trim().equals("lo"))) {
            mustFail.add("noNetworkOnlyLoopback");
        }
        try (var pids = Files.list(Path.of("/proc"))) {
            if (pids.filter(p -> p.getFileName().toString().chars().allMatch(Character::isDigit)).count() >= 20) {
                mustFail.add("hostProcessesAreInvisible");
            }
        }
        assertThat(withStatus(results, "FAILED")).as(report).containsAll(mustFail);

        // the network check, where a tool exists, fails NONE and passes HOST (its positive control)
        String none = results.get("noNetworkCannotReachHostLoopback");
        if (!none.startsWith("ABORTED")) {
            assertThat(none).as(report).startsWith("FAILED");
            assertThat(results.get("hostNetworkReachesHostLoopback")).as(report).startsWith("SUCCESSFUL");
        }
        assertThat(new HostProcessRuntime().capabilities().supports(NetworkMode.HOST)).isTrue();
    }
}
