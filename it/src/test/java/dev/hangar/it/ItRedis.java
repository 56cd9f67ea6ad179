package dev.hangar.it;

import dev.hangar.queue.redis.RedisClusterProcess;
import dev.hangar.queue.redis.RedisServerProcess;
import java.net.URI;

/**
 * The Redis that a cluster test's processes share, with an append-only file fsynced on every write:
 * one redis-server, or a Redis Cluster of three masters, on which the queue lives on the master of
 * its slot. Either is crashed (SIGKILL) and started again the same way.
 */
abstract sealed class ItRedis implements AutoCloseable {
    /** The key prefix of the queue the tests use: the default one. */
    static final String PREFIX = "hangar";

    /** A Redis of this kind, running. */
    static ItRedis start(Kind kind) {
        return kind == Kind.SERVER ? new Server() : new Cluster();
    }

    enum Kind {
        SERVER("one redis-server"), CLUSTER("a Redis Cluster of three masters");

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
    void crash() throws InterruptedException {
        RedisServerProcess holder = holder();
        holder.kill();
        Thread.sleep(1000);
        holder.restart();
    }

    abstract RedisServerProcess holder();

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
}
