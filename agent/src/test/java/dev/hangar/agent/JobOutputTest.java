package dev.hangar.agent;

import static org.assertj.core.api.Assertions.assertThat;

import dev.hangar.core.queue.JobQueue;
import dev.hangar.core.queue.Lease;
import dev.hangar.core.queue.QueueException;
import dev.hangar.core.runtime.OutputSink.Stream;
import java.lang.reflect.Proxy;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.Test;

/** A job's output on its way to a queue that cannot take it. */
class JobOutputTest {
    /** Appends tried, by chunk number; every one fails, as with a queue out of reach. */
    private final Map<Long, Integer> tries = new ConcurrentHashMap<>();
    private final JobQueue unreachable = (JobQueue) Proxy.newProxyInstance(JobQueue.class.getClassLoader(),
            new Class<?>[] {JobQueue.class}, (proxy, method, args) -> {
                if (method.getName().equals("appendLog")) {
                    tries.merge((Long) args[1], 1, Integer::sum);
                }
                throw new QueueException("the queue is out of reach (test)", null);
            });

    @Test
    void onceAChunkWaitedOutTheLeaseInVainTheRunIsLostAndTheRestIsDropped() {
        var lease = new Lease("j-1", "token", "w1", null);
        var told = new AtomicInteger();
        var output = new JobOutput(unreachable, lease, 1 << 20, new QueueRetry(Duration.ofMillis(300)),
                told::incrementAndGet);
        byte[] line = "line\n".getBytes(StandardCharsets.UTF_8);

        for (int i = 0; i < 3; i++) {
            output.write(Stream.STDOUT, line, 0, line.length);
        }

        assertThat(tries.get(1L)).as("the first chunk, retried within the lease").isGreaterThan(1);
        assertThat(tries).as("the rest, never tried").containsOnlyKeys(1L);
        assertThat(output.lost()).as("the run is lost").isTrue();
        assertThat(told).as("told once").hasValue(1);
        assertThat(output.truncated()).as("not cut off at the limit").isFalse();
    }

    @Test
    void aQueueThatFailsOtherwiseThanBeingOutOfReachLosesTheRunRatherThanTheOutputReader() {
        JobQueue broken = (JobQueue) Proxy.newProxyInstance(JobQueue.class.getClassLoader(),
                new Class<?>[] {JobQueue.class}, (proxy, method, args) -> {
                    throw new IllegalStateException("a reply the backend could not read (test)");
                });
        var told = new AtomicInteger();
        var output = new JobOutput(broken, new Lease("j-1", "token", "w1", null), 1 << 20,
                new QueueRetry(Duration.ofMillis(300)), told::incrementAndGet);
        byte[] line = "line\n".getBytes(StandardCharsets.UTF_8);

        output.write(Stream.STDOUT, line, 0, line.length); // returns: the runtime's reader goes on draining
        output.write(Stream.STDOUT, line, 0, line.length);

        assertThat(output.lost()).isTrue();
        assertThat(told).hasValue(1);
    }

    @Test
    void aLostChunkThatCrossedTheLimitIsNotFollowedByTheNoticeOfTheCut() {
        var lease = new Lease("j-1", "token", "w1", null);
        var output = new JobOutput(unreachable, lease, 4, new QueueRetry(Duration.ofMillis(300)), () -> { });
        byte[] line = "line\n".getBytes(StandardCharsets.UTF_8);

        output.write(Stream.STDOUT, line, 0, line.length);

        assertThat(tries).as("the chunk kept, and no notice after it").containsOnlyKeys(1L);
        assertThat(output.lost()).isTrue();
    }

    @Test
    void outputCutAtItsLimitEndsBeforeACharacterItWouldHaveBroken() {
        var stored = new java.io.ByteArrayOutputStream();
        JobQueue taking = (JobQueue) Proxy.newProxyInstance(JobQueue.class.getClassLoader(),
                new Class<?>[] {JobQueue.class}, (proxy, method, args) -> {
                    if (method.getName().equals("appendLog") && args[2] == Stream.STDOUT) {
                        stored.writeBytes((byte[]) args[3]);
                    }
                    return true;
                });
        var output = new JobOutput(taking, new Lease("j-1", "token", "w1", null), 5,
                new QueueRetry(Duration.ofMillis(300)), () -> { });
        byte[] text = "aaaa\u00e9b".getBytes(StandardCharsets.UTF_8); // é is two bytes: the 5th and 6th

        output.write(Stream.STDOUT, text, 0, text.length);

        // it kept "aaaa" and the first byte of é, which shows as garbage where the output ends
        assertThat(stored.toByteArray()).isEqualTo("aaaa".getBytes(StandardCharsets.UTF_8));
        assertThat(output.truncated()).isTrue();

        // a write that ends at the limit inside a character (a read of the job's output ended there): the rest of
        // the character would come in the next write, which the limit drops
        stored.reset();
        var exact = new JobOutput(taking, new Lease("j-2", "token", "w1", null), 5, new QueueRetry(Duration.ofMillis(300)),
                () -> { });
        exact.write(Stream.STDOUT, text, 0, 5);
        exact.write(Stream.STDOUT, text, 5, text.length - 5);
        assertThat(stored.toByteArray()).isEqualTo("aaaa".getBytes(StandardCharsets.UTF_8));
        stored.reset();
        var whole = new JobOutput(taking, new Lease("j-3", "token", "w1", null), 6, new QueueRetry(Duration.ofMillis(300)),
                () -> { });
        whole.write(Stream.STDOUT, text, 0, 6);
        assertThat(stored.toByteArray()).as("a character whole at the limit is kept").isEqualTo("aaaa\u00e9"
                .getBytes(StandardCharsets.UTF_8));
    }
}
