package dev.hangar.core.queue;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.ArrayList;
import java.util.List;
import java.util.ResourceBundle;
import org.junit.jupiter.api.Test;

class QueueExceptionTest {
    /** What was logged: each message, and whether it came with a stack trace. */
    private static final class Kept implements System.Logger {
        final List<String> lines = new ArrayList<>();

        @Override
        public String getName() {
            return "kept";
        }

        @Override
        public boolean isLoggable(Level level) {
            return true;
        }

        @Override
        public void log(Level level, ResourceBundle bundle, String message, Throwable thrown) {
            lines.add(message + (thrown == null ? "" : " +trace"));
        }

        @Override
        public void log(Level level, ResourceBundle bundle, String format, Object... params) {
            lines.add(format);
        }
    }

    @Test
    void theQueueOutOfReachIsOneLineAndAnythingElseKeepsItsTrace() {
        var log = new Kept();
        QueueException.warn(log, "renewing failed", new QueueException("the queue is out of reach", new RuntimeException("io")));
        QueueException.warn(log, "renewing failed", new IllegalStateException("a bug"));

        assertThat(log.lines).containsExactly("renewing failed: the queue is out of reach", "renewing failed +trace");
    }
}
