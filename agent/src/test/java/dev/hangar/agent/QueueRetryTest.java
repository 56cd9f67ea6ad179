package dev.hangar.agent;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import dev.hangar.core.queue.QueueException;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.logging.Handler;
import java.util.logging.LogRecord;
import java.util.logging.Logger;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/** The queue calls of a node's jobs, retried through an outage, and what the node's log says of it. */
class QueueRetryTest {
    /** Held: the JDK's loggers are kept weakly, and a handler on one collected would hear nothing. */
    private final Logger log = Logger.getLogger(QueueRetry.class.getName());
    private final List<String> lines = new CopyOnWriteArrayList<>();
    private final Handler keep = new Handler() {
        @Override
        public void publish(LogRecord record) {
            lines.add(record.getLevel() + " " + record.getMessage());
        }

        @Override
        public void flush() {
        }

        @Override
        public void close() {
        }
    };

    @BeforeEach
    void listen() {
        log.addHandler(keep);
    }

    @AfterEach
    void stopListening() {
        log.removeHandler(keep);
    }

    @Test
    void anOutageThatFailsTheCallsOfManyJobsIsWarnedOfOnceAndOnceWhenTheyWorkAgain() throws InterruptedException {
        var retry = new QueueRetry(Duration.ofSeconds(30));
        var away = new AtomicBoolean(true);
        var failedOnce = ConcurrentHashMap.<String>newKeySet();
        var calls = new ArrayList<Thread>();
        for (int i = 0; i < 8; i++) {
            String job = "j-" + i;
            calls.add(Thread.ofVirtual().start(() -> retry.run("storing output of job " + job, () -> {
                if (away.get()) {
                    failedOnce.add(job);
                    throw new QueueException("Redis out of reach (test)", null);
                }
            })));
        }
        await().atMost(Duration.ofSeconds(20)).until(() -> failedOnce.size() == 8); // every job's call has failed
        away.set(false);
        for (Thread call : calls) {
            call.join();
        }

        // each job's call used to log a warning of its own: 8 here, 64 on a full node
        assertThat(lines).as("%s", lines).filteredOn(line -> line.startsWith("WARNING")).singleElement().asString()
                .startsWith("WARNING a job's call to the queue failed (storing output of job j-")
                .endsWith(": Redis out of reach (test)");
        assertThat(lines).as("%s", lines).filteredOn(line -> line.startsWith("INFO")).singleElement().asString()
                .startsWith("INFO a job's call to the queue works again (it failed ");
    }
}
