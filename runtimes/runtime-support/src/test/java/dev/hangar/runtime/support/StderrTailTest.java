package dev.hangar.runtime.support;

import static org.assertj.core.api.Assertions.assertThat;

import dev.hangar.core.runtime.OutputSink.Stream;
import java.nio.charset.StandardCharsets;
import org.junit.jupiter.api.Test;

class StderrTailTest {
    /** What reached the sink, by stream. */
    private static final class Collected implements dev.hangar.core.runtime.OutputSink {
        private final StringBuilder stdout = new StringBuilder();
        private final StringBuilder stderr = new StringBuilder();

        @Override
        public void write(Stream stream, byte[] data, int offset, int length) {
            (stream == Stream.STDOUT ? stdout : stderr).append(new String(data, offset, length, StandardCharsets.UTF_8));
        }

        String stdoutText() {
            return stdout.toString();
        }

        String stderrText() {
            return stderr.toString();
        }
    }

    @Test
    void itPassesEverythingOnAndKeepsTheLastKilobyteOfStderr() {
        var collector = new Collected();
        var tail = new StderrTail(collector);
        byte[] out = "out".getBytes(StandardCharsets.UTF_8);
        tail.write(Stream.STDOUT, out, 0, out.length);
        byte[] many = ("x".repeat(2000) + "end of the first\n").getBytes(StandardCharsets.UTF_8);
        tail.write(Stream.STDERR, many, 0, many.length);
        byte[] last = "[the last]".getBytes(StandardCharsets.UTF_8);
        tail.write(Stream.STDERR, last, 1, last.length - 2);

        assertThat(collector.stdoutText()).isEqualTo("out");
        assertThat(collector.stderrText()).endsWith("end of the first\nthe last");
        assertThat(tail.text()).hasSize(1024).endsWith("x".repeat(10) + "end of the first\nthe last");
        assertThat(tail.whole()).isFalse();
        var short_ = new StderrTail(collector);
        short_.write(Stream.STDERR, last, 0, last.length);
        assertThat(short_.whole()).isTrue();
    }
}
