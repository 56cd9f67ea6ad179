package dev.hangar.server;

import static org.assertj.core.api.Assertions.assertThat;

import dev.hangar.core.pool.PoolSpec;
import dev.hangar.core.pool.PoolStatus;
import dev.hangar.core.pool.PoolsView;
import dev.hangar.queue.sqlite.SqliteQueueBackend;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Path;
import java.time.Clock;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.Set;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The pools of this process's own node, on a server that knows other nodes too (hangar up --redis). */
class PoolRoutesTest {
    @TempDir
    Path dir;
    private SqliteQueueBackend queue;
    private HangarServer server;
    private final List<PoolSpec> made = new ArrayList<>();
    private volatile boolean stopping;
    private final HttpClient http = HttpClient.newHttpClient();

    /** Keeps what it is given; a pool it makes is made on this node. */
    private final PoolsView here = new PoolsView() {
        @Override
        public List<PoolStatus> pools() {
            return made.stream().map(spec -> new PoolStatus(spec, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, null, null)).toList();
        }

        @Override
        public Budget budget() {
            return new Budget(1024, 0);
        }

        @Override
        public Put put(PoolSpec spec) {
            if (stopping) {
                throw new Stopping();
            }
            boolean created = made.stream().noneMatch(p -> p.name().equals(spec.name()));
            made.add(spec);
            return new Put(pools().getLast(), created);
        }

        @Override
        public Optional<PoolStatus> remove(String name) {
            return Optional.empty();
        }
    };

    @BeforeEach
    void start() {
        queue = SqliteQueueBackend.open(dir.resolve("hangar.db"), Clock.systemUTC());
        // the cluster's nodes have busybox and py311 between them; this one has busybox alone
        server = new HangarServer(queue, new TestNode(Set.of("busybox", "py311"))).start("127.0.0.1", 0);
        server.servePools(here, () -> Set.of("busybox"));
    }

    @AfterEach
    void stop() {
        server.close();
        queue.close();
    }

    private HttpResponse<String> put(String name, String body) throws Exception {
        return http.send(HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + server.port() + "/v1/pools/" + name))
                .header("Content-Type", "application/json").PUT(HttpRequest.BodyPublishers.ofString(body)).build(),
                HttpResponse.BodyHandlers.ofString());
    }

    @Test
    void aPoolOfAnImageOnlyAnotherNodeHasIsRefusedForItWouldNeverFillHere() throws Exception {
        HttpResponse<String> refused = put("py", "{\"runtime\": \"process\", \"image\": \"py311\"}");
        assertThat(refused.statusCode()).as(refused.body()).isEqualTo(400);
        assertThat(refused.body()).contains("\"field\":\"image\"").contains("unknown image 'py311'; known: busybox");
        assertThat(made).as("no pool made").isEmpty();

        HttpResponse<String> taken = put("bb", "{\"runtime\": \"process\", \"image\": \"busybox\"}");
        assertThat(taken.statusCode()).as(taken.body()).isEqualTo(201);
        assertThat(made).extracting(PoolSpec::name).containsExactly("bb");
    }

    @Test
    void aPutAnswersWhatTheNodeSaysOfIt() throws Exception {
        assertThat(put("bb", "{\"runtime\": \"process\"}").statusCode()).isEqualTo(201);
        assertThat(put("bb", "{\"runtime\": \"process\", \"max\": 2}").statusCode()).isEqualTo(200);

        stopping = true;
        HttpResponse<String> refused = put("other", "{\"runtime\": \"process\"}");
        assertThat(refused.statusCode()).as(refused.body()).isEqualTo(503);
        assertThat(refused.body()).contains("the node is stopping");
    }
}
