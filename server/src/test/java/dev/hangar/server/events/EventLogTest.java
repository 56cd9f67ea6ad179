package dev.hangar.server.events;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import java.util.stream.LongStream;
import org.junit.jupiter.api.Test;

class EventLogTest {
    private static final long FIRST = 1_000;

    private static EventLog log(int maxEvents) {
        return new EventLog(maxEvents, Long.MAX_VALUE, FIRST);
    }

    private static List<Long> ids(Replay replay) {
        return replay.events().stream().map(ServerEvent::id).toList();
    }

    private static List<Long> range(long fromInclusive, long toInclusive) {
        return LongStream.rangeClosed(fromInclusive, toInclusive).boxed().toList();
    }

    private static void append(EventLog log, int count) {
        for (int i = 0; i < count; i++) {
            log.append("job", "{\"n\":" + i + "}");
        }
    }

    @Test
    void idsStartAtTheFirstIdAndGoUpByOne() {
        EventLog log = log(10);
        assertThat(log.lastId()).isEqualTo(FIRST - 1);
        assertThat(log.beforeFirst()).isEqualTo(FIRST - 1);

        ServerEvent a = log.append("job", "{}");
        ServerEvent b = log.append("node", "{}");

        assertThat(a.id()).isEqualTo(FIRST);
        assertThat(b.id()).isEqualTo(FIRST + 1);
        assertThat(b.type()).isEqualTo("node");
        assertThat(log.lastId()).isEqualTo(FIRST + 1);
    }

    @Test
    void afterGivesExactlyTheLaterEventsOldestFirst() {
        EventLog log = log(10);
        append(log, 5);

        assertThat(ids(log.after(FIRST + 1, 100))).isEqualTo(range(FIRST + 2, FIRST + 4));
        assertThat(ids(log.after(FIRST - 1, 100))).isEqualTo(range(FIRST, FIRST + 4));
        assertThat(log.after(FIRST + 4, 100).events()).as("nothing newer yet").isEmpty();
        assertThat(log.after(FIRST + 4, 100).reset()).isFalse();
    }

    @Test
    void afterGivesAtMostMax() {
        EventLog log = log(10);
        append(log, 8);

        assertThat(ids(log.after(FIRST - 1, 3))).isEqualTo(range(FIRST, FIRST + 2));
        assertThat(ids(log.after(FIRST + 2, 3))).isEqualTo(range(FIRST + 3, FIRST + 5));
        assertThat(log.after(FIRST, 0).events()).isEmpty();
        assertThat(log.after(FIRST, 0).reset()).isFalse();
    }

    @Test
    void anEmptyLogResumesFromBeforeItsFirstEvent() {
        EventLog log = log(10);
        assertThat(log.after(FIRST - 1, 10)).isEqualTo(new Replay(false, List.of()));
        assertThat(log.after(FIRST - 2, 10).reset()).isTrue();
    }

    @Test
    void theRingKeepsTheNewestEventsAndResetsAnIdTooOld() {
        EventLog log = log(4);
        append(log, 10); // ids FIRST..FIRST+9; kept FIRST+6..FIRST+9

        assertThat(log.bufferedIds()).isEqualTo(range(FIRST + 6, FIRST + 9));
        assertThat(ids(log.after(FIRST + 5, 100))).as("just before the oldest kept: no gap")
                .isEqualTo(range(FIRST + 6, FIRST + 9));
        assertThat(log.after(FIRST + 4, 100).reset()).as("event FIRST+5 was dropped").isTrue();
        assertThat(log.after(FIRST + 4, 100).events()).isEmpty();
        assertThat(log.after(FIRST - 1, 100).reset()).as("from the start, but the start is gone").isTrue();
    }

    @Test
    void anIdThisLogNeverGaveIsAReset() {
        EventLog log = log(10);
        append(log, 3);

        assertThat(log.after(FIRST + 3, 10).reset()).as("from the future (another process)").isTrue();
        assertThat(log.after(1, 10).reset()).as("from an earlier process").isTrue();
        assertThat(log.after(-1, 10).reset()).isTrue();
    }

    @Test
    void theRingIsBoundedBySizeTooButKeepsTheNewestEvent() {
        EventLog log = new EventLog(100, 10, FIRST);
        log.append("job", "12345");
        log.append("job", "12345");
        assertThat(log.bufferedIds()).isEqualTo(range(FIRST, FIRST + 1));

        log.append("job", "1");
        assertThat(log.bufferedIds()).as("11 chars > 10: the oldest goes").isEqualTo(range(FIRST + 1, FIRST + 2));

        log.append("job", "x".repeat(50));
        assertThat(log.bufferedIds()).as("one event larger than the bound is still kept").containsExactly(FIRST + 3);
        assertThat(log.after(FIRST + 1, 10).reset()).isTrue();
        assertThat(ids(log.after(FIRST + 2, 10))).containsExactly(FIRST + 3);
    }

    @Test
    void wrapsAroundManyTimes() {
        EventLog log = log(7);
        long seen = FIRST - 1;
        for (int round = 0; round < 50; round++) {
            append(log, 5);
            Replay replay = log.after(seen, 100);
            assertThat(replay.reset()).isFalse();
            assertThat(ids(replay)).isEqualTo(range(seen + 1, seen + 5));
            seen += 5;
        }
    }

    @Test
    void awaitReturnsOnceANewerEventIsThere() throws Exception {
        EventLog log = log(10);
        log.append("job", "{}");
        assertThat(log.await(FIRST - 1, Duration.ZERO)).as("already there").isTrue();
        assertThat(log.await(FIRST, Duration.ofMillis(20))).as("times out").isFalse();

        CompletableFuture<Boolean> waiting = CompletableFuture.supplyAsync(() -> {
            try {
                return log.await(FIRST, Duration.ofSeconds(10));
            } catch (InterruptedException e) {
                throw new IllegalStateException(e);
            }
        });
        Thread.sleep(50);
        log.append("job", "{}");
        assertThat(waiting.get(5, TimeUnit.SECONDS)).isTrue();
    }

    @Test
    void closeWakesWaitingReaders() throws Exception {
        EventLog log = log(10);
        CompletableFuture<Boolean> waiting = CompletableFuture.supplyAsync(() -> {
            try {
                return log.await(FIRST - 1, Duration.ofSeconds(10));
            } catch (InterruptedException e) {
                throw new IllegalStateException(e);
            }
        });
        Thread.sleep(50);
        log.close();
        assertThat(waiting.get(5, TimeUnit.SECONDS)).as("nothing newer").isFalse();
        assertThat(log.isClosed()).isTrue();
    }

    /** A reader at its own pace sees every event once, in order, while a writer appends without waiting for it. */
    @Test
    void aConcurrentReaderSeesEveryEventOnceInOrder() throws Exception {
        EventLog log = log(100_000);
        int total = 50_000;
        CompletableFuture<List<Long>> reader = CompletableFuture.supplyAsync(() -> {
            var seen = new ArrayList<Long>();
            long cursor = log.beforeFirst();
            try {
                while (seen.size() < total) {
                    Replay replay = log.after(cursor, 97);
                    assertThat(replay.reset()).isFalse();
                    for (ServerEvent event : replay.events()) {
                        seen.add(event.id());
                        cursor = event.id();
                    }
                    if (replay.events().isEmpty()) {
                        log.await(cursor, Duration.ofSeconds(5));
                    }
                }
            } catch (InterruptedException e) {
                throw new IllegalStateException(e);
            }
            return seen;
        });
        append(log, total);
        assertThat(reader.get(30, TimeUnit.SECONDS)).isEqualTo(range(FIRST, FIRST + total - 1));
    }

    @Test
    void idsFromTheClockOfAnEarlierProcessAreAResetAndStayExactInAJavaScriptNumber() throws Exception {
        EventLog earlier = EventLog.startingNow();
        append(earlier, 500);
        Thread.sleep(2);
        EventLog later = EventLog.startingNow();
        append(later, 1);
        assertThat(later.after(earlier.lastId(), 10).reset()).isTrue();
        assertThat(later.after(earlier.bufferedIds().getFirst(), 10).reset()).isTrue();
        assertThat(later.lastId() - later.beforeFirst()).isEqualTo(EventLog.CLOCK_STRIDE);
        assertThat(later.lastId() % EventLog.CLOCK_STRIDE).as("each id ends in the process's tag")
                .isEqualTo(later.beforeFirst() % EventLog.CLOCK_STRIDE);
        assertThat(later.lastId()).as("still exact in a JavaScript number").isLessThan(1L << 53);
    }

    @Test
    void idsOfAnotherProcessNearTheseReadAsNotThisLogsEvenWhereTheyOverlap() {
        // two servers started in the same millisecond: their ids are as near as ids get, told apart by their tags
        EventLog one = new EventLog(100, 1 << 20, 1_767_225_600_000_007L, 1000);
        EventLog other = new EventLog(100, 1 << 20, 1_767_225_600_000_009L, 1000);
        append(one, 5);
        append(other, 5);

        assertThat(one.bufferedIds()).containsExactly(1_767_225_600_000_007L, 1_767_225_600_001_007L,
                1_767_225_600_002_007L, 1_767_225_600_003_007L, 1_767_225_600_004_007L);
        assertThat(one.after(one.bufferedIds().get(1), 10).events()).extracting(ServerEvent::id)
                .containsExactlyElementsOf(one.bufferedIds().subList(2, 5));
        assertThat(one.after(one.beforeFirst(), 10).events()).hasSize(5);
        assertThat(one.after(other.bufferedIds().get(1), 10).reset()).as("the other's id, among these").isTrue();
        assertThat(one.after(one.lastId() + 1, 10).reset()).isTrue();
        assertThat(one.after(Long.MAX_VALUE, 10).reset()).isTrue();
        assertThat(one.after(-1, 10).reset()).isTrue();
    }

    @Test
    void boundsMustBePositive() {
        assertThatThrownBy(() -> new EventLog(0, 1, 1)).isInstanceOf(IllegalArgumentException.class);
        assertThatThrownBy(() -> new EventLog(1, 0, 1)).isInstanceOf(IllegalArgumentException.class);
        assertThatThrownBy(() -> new EventLog(1, 1, 0)).isInstanceOf(IllegalArgumentException.class);
    }
}
