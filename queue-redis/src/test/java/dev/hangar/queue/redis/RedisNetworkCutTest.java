package dev.hangar.queue.redis;

import static dev.hangar.queue.testkit.TestJobs.spec;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.awaitility.Awaitility.await;

import dev.hangar.core.queue.QueueException;
import java.time.Clock;
import java.time.Duration;
import org.junit.jupiter.api.Test;

/**
 * A Redis server cut off without its connections closing (its host lost power, the network split):
 * the queue must see it gone, as it sees a server that stopped, rather than wait on a connection that
 * its kernel would keep retrying for a quarter of an hour.
 */
class RedisNetworkCutTest {
    private static final Clock CLOCK = Clock.systemUTC();

    @Test
    void callsFailAtOnceSayingSoOnceAServerCutOffHasBeenOutOfReachAWhileAndWorkWhenItIsBack() {
        try (RedisServerProcess server = RedisServerProcess.start();
                RedisQueueBackend queue = RedisQueueBackend.open(server.uri("prefix=cut&timeout=PT2S"), CLOCK)) {
            assertThat(queue.enqueue(spec("before")).created()).isTrue();
            try (NetworkCut cut = NetworkCut.of(server.port())) {
                // each call used to wait its 2 s and say "Command timed out", for as long as the cut lasted
                await().atMost(Duration.ofSeconds(30)).untilAsserted(() -> assertThatThrownBy(queue::ping)
                        .isInstanceOf(QueueException.class)
                        .hasMessageContaining("127.0.0.1:" + server.port())
                        .hasMessageContaining("Redis out of reach for"));
            }
            await().atMost(Duration.ofSeconds(20)).ignoreExceptions().untilAsserted(queue::ping);
            assertThat(queue.enqueue(spec("after")).created()).isTrue();
            assertThat(queue.countByState().values().stream().mapToLong(Long::longValue).sum()).isEqualTo(2);
        }
    }
}
