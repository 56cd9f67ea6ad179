package dev.hangar.runtime.testkit;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.hangar.core.runtime.OutputSink.Stream;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CountDownLatch;
import org.junit.jupiter.api.Test;

class OutputCollectorTest {

    @Test
    void keepsStreamsApartAndCopiesChunks() {
        OutputCollector out = new OutputCollector();
        byte[] buf = "xxhello".getBytes(StandardCharsets.UTF_8);
        out.write(Stream.STDOUT, buf, 2, 5);
        buf[2] = 'J'; // a runtime may reuse its buffer
        out.write(Stream.STDERR, "ünï".getBytes(StandardCharsets.UTF_8), 0, 5);
        assertThat(out.stdoutText()).isEqualTo("hello");
        assertThat(out.stderrText()).isEqualTo("ünï");
        assertThat(out.stderr()).hasSize(5);
        assertThat(out.writes(Stream.STDOUT)).isEqualTo(1);
        assertThat(out.misuse()).isEmpty();
    }

    @Test
    void capsRetentionButCountsEverything() {
        OutputCollector out = new OutputCollector(4);
        out.write(Stream.STDOUT, new byte[3], 0, 3);
        out.write(Stream.STDOUT, new byte[3], 0, 3);
        assertThat(out.stdout()).hasSize(4);
        assertThat(out.totalBytes(Stream.STDOUT)).isEqualTo(6);
        assertThat(out.truncated(Stream.STDOUT)).isTrue();
        assertThat(out.truncated(Stream.STDERR)).isFalse();
    }

    @Test
    void recordsMisuse() {
        OutputCollector out = new OutputCollector();
        assertThatThrownBy(() -> out.write(Stream.STDOUT, new byte[2], 1, 5))
                .isInstanceOf(IndexOutOfBoundsException.class);
        assertThatThrownBy(() -> out.write(null, new byte[2], 0, 1)).isInstanceOf(NullPointerException.class);
        assertThat(out.misuse()).hasSize(2);
        assertThat(out.totalBytes(Stream.STDOUT)).isZero();
    }

    @Test
    void isThreadSafe() throws Exception {
        OutputCollector out = new OutputCollector();
        int threads = 8;
        int writes = 5_000;
        CountDownLatch go = new CountDownLatch(1);
        List<Thread> started = new ArrayList<>();
        for (int t = 0; t < threads; t++) {
            Stream stream = t % 2 == 0 ? Stream.STDOUT : Stream.STDERR;
            Thread thread = new Thread(() -> {
                try {
                    go.await();
                } catch (InterruptedException e) {
                    return;
                }
                byte[] chunk = {'a', 'b', 'c'};
                for (int i = 0; i < writes; i++) {
                    out.write(stream, chunk, 0, chunk.length);
                }
            });
            thread.start();
            started.add(thread);
        }
        go.countDown();
        for (Thread thread : started) {
            thread.join();
        }
        assertThat(out.stdout()).hasSize(threads / 2 * writes * 3);
        assertThat(out.stderr()).hasSize(threads / 2 * writes * 3);
        assertThat(out.stdoutText().replace("abc", "")).isEmpty();
    }

    @Test
    void awaitsText() throws Exception {
        OutputCollector out = new OutputCollector();
        Thread writer = new Thread(() -> {
            try {
                Thread.sleep(100);
            } catch (InterruptedException e) {
                return;
            }
            out.write(Stream.STDERR, "ready\n".getBytes(StandardCharsets.UTF_8), 0, 6);
        });
        writer.start();
        assertThat(out.awaitText(Stream.STDERR, "ready", Duration.ofSeconds(10))).isTrue();
        assertThat(out.awaitText(Stream.STDOUT, "never", Duration.ofMillis(50))).isFalse();
        writer.join();
    }
}
