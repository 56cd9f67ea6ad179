package dev.hangar.cli;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.hangar.core.job.JobSpec;
import java.util.List;
import org.junit.jupiter.api.Test;
import picocli.CommandLine;
import picocli.CommandLine.ParameterException;

/** A job's limits as people type them: a timeout or a backoff as a duration, memory with a unit. */
class JobSpecOptionsTest {
    private static JobSpec spec(String... args) {
        return CommandLine.populateCommand(new JobSpecOptions(), args).toSpec(List.of("true"), null);
    }

    @Test
    void aTimeoutIsSecondsOrADuration() {
        assertThat(spec("--timeout", "600").timeoutSeconds()).isEqualTo(600);
        assertThat(spec("--timeout", "90s").timeoutSeconds()).isEqualTo(90);
        assertThat(spec("--timeout", "10m").timeoutSeconds()).isEqualTo(600);
        assertThat(spec("--timeout", "1h30m").timeoutSeconds()).isEqualTo(5_400);
        assertThat(spec("--timeout", "2H").timeoutSeconds()).as("any case").isEqualTo(7_200);
        assertThat(spec("--timeout", "PT1M30S").timeoutSeconds()).as("ISO-8601").isEqualTo(90);
        assertThat(spec("--timeout", "0").timeoutSeconds()).as("the server's to refuse, naming its range").isZero();
    }

    @Test
    void aTimeoutThatIsNoDurationIsRefusedNamingWhatToGive() {
        assertThatThrownBy(() -> spec("--timeout", "1x")).isInstanceOf(ParameterException.class)
                .hasMessageContaining("--timeout").hasMessageContaining("'1x': not a number of seconds or a duration")
                .hasMessageContaining("such as 90s, 10m, 1h30m");
        assertThatThrownBy(() -> spec("--timeout", "m")).hasMessageContaining("'m': not a number");
        assertThatThrownBy(() -> spec("--timeout", "")).hasMessageContaining("not a number");
        assertThatThrownBy(() -> spec("--timeout", "1.5s")).hasMessageContaining("not a number");
        assertThatThrownBy(() -> spec("--timeout", "PT0.5S")).hasMessageContaining("whole seconds only");
        assertThatThrownBy(() -> spec("--timeout", "P1X")).hasMessageContaining("not an ISO-8601 duration");
        assertThatThrownBy(() -> spec("--timeout", "99999999999")).hasMessageContaining("too long");
        assertThatThrownBy(() -> spec("--timeout", "999999999999999999999h")).hasMessageContaining("too long");
        assertThatThrownBy(() -> spec("--timeout", "PT-4294966696S")).as("not wrapped round to 600")
                .hasMessageContaining("too long");
    }

    @Test
    void memoryIsMibOrASizeWithItsUnit() {
        assertThat(spec("--memory", "512").resources().memoryMb()).isEqualTo(512L);
        assertThat(spec("--memory", "512m").resources().memoryMb()).isEqualTo(512L);
        assertThat(spec("--memory", "512MiB").resources().memoryMb()).isEqualTo(512L);
        assertThat(spec("--memory", "2g").resources().memoryMb()).isEqualTo(2_048L);
        assertThat(spec("--memory", "1.5GiB").resources().memoryMb()).isEqualTo(1_536L);
    }

    @Test
    void memoryThatIsNoSizeIsRefusedNamingWhatToGive() {
        assertThatThrownBy(() -> spec("--memory", "2t")).isInstanceOf(ParameterException.class)
                .hasMessageContaining("--memory").hasMessageContaining("'2t': not a size")
                .hasMessageContaining("512m or 2g");
        assertThatThrownBy(() -> spec("--memory", "-5")).hasMessageContaining("not a size");
        assertThatThrownBy(() -> spec("--memory", "0.5")).hasMessageContaining("not a whole number of MiB (0.50)");
        assertThatThrownBy(() -> spec("--memory", "99999999999999999999g")).hasMessageContaining("too large");
    }

    @Test
    void retriesAreAttemptsAndABackoffAsADuration() {
        assertThat(spec().retry()).as("none asked: one attempt").isEqualTo(dev.hangar.core.job.RetryPolicy.none());
        var retry = spec("--attempts", "4", "--backoff", "30s", "--max-backoff", "10m").retry();
        assertThat(retry.maxAttempts()).isEqualTo(4);
        assertThat(retry.backoffSeconds()).isEqualTo(30.0);
        assertThat(retry.maxBackoffSeconds()).isEqualTo(600.0);
        assertThat(spec("--attempts", "3").retry().backoffSeconds()).as("the policy's default").isEqualTo(1.0);
        assertThat(spec("--attempts", "0").retry().maxAttempts()).as("the server's to refuse, naming its range").isZero();
        assertThat(JobSpecOptions.describe("retry.maxAttempts", "must be 1 to 100")).contains("(--attempts)");
    }

    @Test
    void aBackoffWithoutRetriesOrThatIsNoDurationIsRefused() {
        assertThatThrownBy(() -> spec("--backoff", "5s")).isInstanceOf(IllegalArgumentException.class)
                .hasMessage("--backoff: a job retries only with --attempts 2 or more");
        assertThatThrownBy(() -> spec("--attempts", "1", "--max-backoff", "1m"))
                .hasMessage("--max-backoff: a job retries only with --attempts 2 or more");
        assertThatThrownBy(() -> spec("--attempts", "2", "--backoff", "soon")).isInstanceOf(ParameterException.class)
                .hasMessageContaining("--backoff").hasMessageContaining("'soon': not a number of seconds or a duration");
    }

    @Test
    void aNetworkThatANodeOfThisHostWouldNotGiveIsRefusedBeforeOneIsStarted() {
        var here = dev.hangar.agent.AgentConfig.forThisHost("local-test");

        // it passed, and a node was started (its runtimes probed) for the submit to be refused
        assertThatThrownBy(() -> JobSpecOptions.checkOnThisHost(spec("--network"), here))
                .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("--network");
        JobSpecOptions.checkOnThisHost(spec("--network"), here.withNetworkAllowed(true));
    }
}
