package dev.hangar.core.queue;

import static org.assertj.core.api.Assertions.assertThat;

import org.junit.jupiter.api.Test;

class QueueExceptionTest {
    @Test
    void theQueueOutOfReachIsOneLineAndAnythingElseKeepsItsTrace() {
        var log = new KeptLog();
        QueueException.warn(log, "renewing failed", new QueueException("the queue is out of reach", new RuntimeException("io")));
        QueueException.warn(log, "renewing failed", new IllegalStateException("a bug"));

        assertThat(log.lines).containsExactly("renewing failed: the queue is out of reach", "renewing failed +trace");
    }
}
