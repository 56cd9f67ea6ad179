package dev.hangar.it;

import dev.hangar.queue.redis.RedisClusterProcess;
import dev.hangar.queue.redis.RedisServerProcess;
import java.net.URI;

/**
 * The Redis that a cluster test's processes share, with an append-only file fsynced on every write:
 * one redis-server, a Redis Cluster of three masters, on which the queue lives on the master of
 * its slot, or a master and its replica behind a sentinel, every write waited for on the replica
 * ({@code replicas=1}). The server that holds the queue is crashed (SIGKILL) and started again; behind
 * the sentinel, once its replica has taken over, and it comes back as the new master's replica.
 */
abstract sealed class ItRedis implements AutoCloseable {
    /** The key prefix of the queue the tests use: the default one. */
    static final String PREFIX = "hangar";

    /** A Redis of this kind, running. */
    static ItRedis start(Kind kind) {
        return switch (kind) {
            case SERVER -> new Server();
            case CLUSTER -> new Cluster();
            case SENTINEL -> new Sentinel();
        };
    }

    enum Kind {
        SERVER("one redis-server"), CLUSTER("a Redis Cluster of three masters"),
        SENTINEL("a master and its replica behind a sentinel");

        private final String shown;

        Kind(String shown) {
            this.shown = shown;
        }

        @Override
        public String toString() {
            return shown;
        }
    }

    /** What {@code --redis} takes. */
    abstract URI uri();

    /** Runs redis-cli against the node that holds the queue (it follows redirects on a cluster). */
    abstract String cli(String... args);

    /** The node that holds the queue's keys, as a plain {@code redis://} location to read them from. */
    abstract URI dataNode();

    /** SIGKILLs the server that holds the queue and, a second later, starts it again from its AOF. */
    void crash() throws Exception {
        RedisServerProcess holder = holder();
        holder.kill();
        Thread.sleep(1000);
        holder.restart();
    }

    abstract RedisServerProcess holder();

    /** What {@link #crash} does, for a report of the run. */
    String crashSaid() {
        return "Redis SIGKILL+restart";
    }

    @Override
    public abstract void close();

    private static final class Server extends ItRedis {
        private final RedisServerProcess redis = RedisServerProcess.start(true);

        @Override
        URI uri() {
            return redis.uri();
        }

        @Override
        String cli(String... args) {
            return redis.cli(args);
        }

        @Override
        URI dataNode() {
            return redis.uri();
        }

        @Override
        RedisServerProcess holder() {
            return redis;
        }

        @Override
        public void close() {
            redis.close();
        }
    }

    private static final class Cluster extends ItRedis {
        private final RedisClusterProcess cluster = RedisClusterProcess.start(3, 0, true);

        @Override
        URI uri() {
            return cluster.uri(null);
        }

        @Override
        String cli(String... args) {
            String[] following = new String[args.length + 1];
            following[0] = "-c";
            System.arraycopy(args, 0, following, 1, args.length);
            return holder().cli(following);
        }

        @Override
        URI dataNode() {
            return holder().uri();
        }

        @Override
        RedisServerProcess holder() {
            return cluster.serving(cluster.slotOf(PREFIX));
        }

        @Override
        public void close() {
            cluster.close();
        }
    }

    private static final class Sentinel extends ItRedis {
        private static final String NAME = "hangar-main";
        private final RedisServerProcess first = RedisServerProcess.start(true);
        private final RedisServerProcess second = RedisServerProcess.replicaOf(first);
        private final RedisServerProcess sentinel = RedisServerProcess.sentinelOf(first, NAME);

        Sentinel() {
            awaitReplicating(second);
            org.awaitility.Awaitility.await("the sentinel sees the replica").atMost(java.time.Duration.ofSeconds(30))
                    .until(() -> sentinel.cli("SENTINEL", "REPLICAS", NAME).contains(String.valueOf(second.port())));
        }

        @Override
        URI uri() {
            return URI.create("redis-sentinel://127.0.0.1:" + sentinel.port() + "/?master=" + NAME + "&replicas=1");
        }

        @Override
        String cli(String... args) {
            return holder().cli(args);
        }

        @Override
        URI dataNode() {
            return holder().uri();
        }

        /** The master the sentinel names now. */
        @Override
        RedisServerProcess holder() {
            return sentinel.cli("SENTINEL", "GET-MASTER-ADDR-BY-NAME", NAME).strip().endsWith(String.valueOf(second.port()))
                    ? second : first;
        }

        /**
         * SIGKILLs the master; once the sentinel has promoted its replica, starts it again from its AOF:
         * the sentinel makes it the new master's replica, and writes are held twice again once it has
         * copied the new master.
         */
        @Override
        void crash() throws Exception {
            RedisServerProcess master = holder();
            RedisServerProcess replica = master == first ? second : first;
            master.kill();
            org.awaitility.Awaitility.await("the sentinel fails over to the replica").atMost(java.time.Duration.ofSeconds(60))
                    .pollInterval(java.time.Duration.ofMillis(200)).until(() -> holder() == replica);
            master.restart();
            awaitReplicating(master);
        }

        @Override
        String crashSaid() {
            return "master SIGKILL, failed over to its replica, back as the new master's replica";
        }

        private static void awaitReplicating(RedisServerProcess replica) {
            org.awaitility.Awaitility.await("a replica in sync").atMost(java.time.Duration.ofSeconds(60))
                    .pollInterval(java.time.Duration.ofMillis(200))
                    .until(() -> replica.cli("INFO", "replication").contains("master_link_status:up"));
        }

        @Override
        public void close() {
            sentinel.close();
            second.close();
            first.close();
        }
    }
}
