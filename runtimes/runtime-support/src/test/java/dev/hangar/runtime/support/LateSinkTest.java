package dev.hangar.runtime.support;

import static org.assertj.core.api.Assertions.assertThat;

import dev.hangar.core.runtime.ExitStatus;
import dev.hangar.core.runtime.OutputSink.Stream;
import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionException;
import org.junit.jupiter.api.Test;

/** A prestarted sandbox's output before its job: the ready byte, and why its launcher could not start. */
class LateSinkTest {
    @Test
    void aLauncherThatEndsBeforeItIsReadyFailsWithWhatItsRuntimeSaidOnStderr() {
        var sink = new LateSink();
        byte[] said = "bwrap: Can't mount proc on /newroot/proc: Operation not permitted\n".getBytes(StandardCharsets.UTF_8);
        sink.write(Stream.STDERR, said, 0, said.length);
        byte[] flood = "x".repeat(10_000).getBytes(StandardCharsets.UTF_8);
        sink.write(Stream.STDERR, flood, 0, flood.length);

        sink.endedWith(CompletableFuture.completedFuture(new ExitStatus(1, List.of())));

        assertThat(sink.ready()).isCompletedExceptionally();
        String message = sink.ready().handle((ok, e) -> e.getMessage()).join();
        assertThat(message).startsWith("the launcher ended first (exit code 1): bwrap: Can't mount proc")
                .hasSizeLessThan(4096 + 100);
    }

    @Test
    void theReadyByteCompletesReadyAndTheJobsOutputGoesToItsSink() {
        var sink = new LateSink();
        sink.write(Stream.STDOUT, new byte[] {LauncherScript.READY}, 0, 1);
        assertThat(sink.ready()).isCompleted();
        var job = new StringBuilder();
        sink.attach((stream, data, offset, length) -> job.append(stream).append(':')
                .append(new String(data, offset, length, StandardCharsets.UTF_8)));
        byte[] out = "hi".getBytes(StandardCharsets.UTF_8);
        sink.write(Stream.STDERR, out, 0, out.length);
        assertThat(job).hasToString("STDERR:hi");
        assertThat(sink.ready().isCompletedExceptionally()).isFalse();
    }
}
