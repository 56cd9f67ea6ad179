package dev.hangar.server;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.catchThrowableOfType;

import dev.hangar.client.HangarApiException;
import dev.hangar.client.HangarClient;
import dev.hangar.core.job.FieldError;
import dev.hangar.core.job.InvalidSpecException;
import dev.hangar.core.job.Job;
import dev.hangar.core.job.JobSpec;
import dev.hangar.core.queue.JobQuery;
import dev.hangar.queue.sqlite.SqliteQueueBackend;
import java.net.URI;
import java.nio.file.Path;
import java.time.Clock;
import java.util.List;
import java.util.concurrent.atomic.AtomicBoolean;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** POST /v1/jobs with an idempotency key: a repeat is answered by the job the key made, whatever the nodes say now. */
class IdempotentSubmitApiTest {
    @TempDir
    Path dir;
    private SqliteQueueBackend queue;
    private HangarServer server;
    private HangarClient client;
    /** Whether the one node that fits the jobs is gone, so that no node would take a new one. */
    private final AtomicBoolean nodeGone = new AtomicBoolean();

    @BeforeEach
    void start() {
        queue = SqliteQueueBackend.open(dir.resolve("hangar.db"), Clock.systemUTC());
        NodeView nodes = new TestNode.Like() {
            @Override
            public JobSpec validate(JobSpec spec) {
                if (nodeGone.get()) {
                    throw new InvalidSpecException(List.of(new FieldError("resources.cpus", "no node has 1 CPU")));
                }
                return super.validate(spec);
            }
        };
        server = new HangarServer(queue, nodes).start("127.0.0.1", 0);
        client = new HangarClient(URI.create("http://127.0.0.1:" + server.port()));
    }

    @AfterEach
    void stop() {
        server.close();
        queue.close();
    }

    @Test
    void aRepeatIsAnsweredByItsJobEvenOnceNoNodeFitsItWhileANewJobIsStillChecked() {
        JobSpec keyed = JobSpec.builder().command("true").idempotencyKey("nightly-1").build();
        Job original = client.submit(keyed);
        nodeGone.set(true);

        assertThat(client.submit(keyed).id()).as("the repeat").isEqualTo(original.id());
        HangarApiException conflict = catchThrowableOfType(HangarApiException.class,
                () -> client.submit(keyed.toBuilder().command("false").build()));
        assertThat(conflict.status()).as("another spec under the key, which no node takes either").isEqualTo(400);
        assertThat(conflict.problem().errors()).extracting(e -> e.field())
                .containsExactly("resources.cpus", "idempotencyKey");
        HangarApiException refused = catchThrowableOfType(HangarApiException.class,
                () -> client.submit(keyed.toBuilder().idempotencyKey("nightly-2").build()));
        assertThat(refused.status()).as("a new job").isEqualTo(400);
        assertThat(refused.problem().errors()).extracting(e -> e.field()).containsExactly("resources.cpus");
        assertThat(queue.list(JobQuery.all(10)).jobs()).extracting(Job::id).containsExactly(original.id());
    }

    @Test
    void aMalformedSpecUnderAKeyInUseIsToldItsFaultsAsWellAsTheKeys() {
        JobSpec keyed = JobSpec.builder().command("true").idempotencyKey("nightly-1").build();
        Job original = client.submit(keyed);

        HangarApiException refused = catchThrowableOfType(HangarApiException.class,
                () -> client.submit(keyed.toBuilder().env("1BAD", "x").build()));

        assertThat(refused.status()).isEqualTo(400);
        assertThat(refused.problem().errors()).extracting(e -> e.field()).containsExactly("env.1BAD", "idempotencyKey");
        assertThat(refused.problem().errors().get(1).reason()).contains(original.id());
        HangarApiException conflict = catchThrowableOfType(HangarApiException.class,
                () -> client.submit(keyed.toBuilder().command("false").build()));
        assertThat(conflict.status()).as("a valid other spec under the key").isEqualTo(409);
        assertThat(queue.list(JobQuery.all(10)).jobs()).extracting(Job::id).containsExactly(original.id());
    }
}
