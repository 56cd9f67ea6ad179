package dev.hangar.queue.redis;

import static dev.hangar.queue.redis.RedisLink.bytes;

import com.fasterxml.jackson.databind.ObjectReader;
import dev.hangar.core.cluster.NodeRegistry;
import dev.hangar.core.cluster.NodeStatus;
import dev.hangar.core.job.NodeLabels;
import dev.hangar.core.queue.QueueException;
import dev.hangar.core.json.Json;
import io.lettuce.core.KeyValue;
import io.lettuce.core.ScriptOutputType;
import io.lettuce.core.SetArgs;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.time.Instant;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.TreeMap;

/**
 * The node registry on Redis key expiry: each heartbeat SETs {@code <prefix>:node:<name>} to the
 * node's status with a time to live, so a node that dies drops out when its key expires, with no
 * one having to notice. A set of names lets readers find the keys without SCAN; a name whose key
 * has expired is dropped from it by the next reader (a node that beats again puts it back). The
 * nodes asked to drain are a hash of their names to when they were asked, {@code <prefix>:draining},
 * kept until the ask is taken back; the labels nodes are asked to have in place of their own are a hash
 * of their names to the labels as KEY=VALUE,..., {@code <prefix>:labels}, kept until changed.
 */
final class RedisNodeRegistry implements NodeRegistry {
    private static final System.Logger LOG = System.getLogger(RedisNodeRegistry.class.getName());
    /**
     * Heartbeats come from agents of other versions too: fields this version does not know (from a
     * newer agent) are skipped, not refused, so that a rolling upgrade keeps the nodes in view.
     */
    private static final ObjectReader HEARTBEAT = Json.lenient().forType(NodeStatus.class);

    private final RedisLink link;
    private final RedisKeys keys;

    RedisNodeRegistry(RedisLink link, RedisKeys keys) {
        this.link = link;
        this.keys = keys;
    }

    @Override
    public void heartbeat(NodeStatus status, Duration ttl) {
        if (ttl.isNegative() || ttl.isZero()) {
            throw new IllegalArgumentException("ttl must be positive, got " + ttl);
        }
        byte[] value = bytes(Json.write(status));
        link.call("heartbeat", redis -> {
            redis.set(bytes(keys.node(status.name())), value, SetArgs.Builder.px(ttl.toMillis()));
            return redis.sadd(bytes(keys.nodes()), bytes(status.name()));
        });
    }

    @Override
    public void leave(String nodeName) {
        link.call("leave", redis -> {
            redis.del(bytes(keys.node(nodeName)));
            return redis.srem(bytes(keys.nodes()), bytes(nodeName));
        });
    }

    @Override
    public List<NodeStatus> nodes() {
        List<byte[]> names = new ArrayList<>(link.call("SMEMBERS", redis -> redis.smembers(bytes(keys.nodes()))));
        if (names.isEmpty()) {
            return List.of();
        }
        byte[][] nodeKeys = names.stream().map(name -> bytes(keys.node(text(name)))).toArray(byte[][]::new);
        List<KeyValue<byte[], byte[]>> values = link.call("MGET", redis -> redis.mget(nodeKeys));
        var alive = new ArrayList<NodeStatus>();
        for (int i = 0; i < names.size(); i++) {
            KeyValue<byte[], byte[]> value = values.get(i);
            if (value.hasValue()) {
                read(text(names.get(i)), text(value.getValue())).ifPresent(alive::add);
            } else {
                try {
                    forgetIfGone(names.get(i), nodeKeys[i]);
                } catch (QueueException e) {
                    // a Redis that refuses writes (at its memory limit, after a failed save) still lists the live nodes
                    LOG.log(System.Logger.Level.DEBUG, "node " + text(names.get(i)) + " stays named until a later look: " + e);
                }
            }
        }
        alive.sort(Comparator.comparing(NodeStatus::name));
        return alive;
    }

    @Override
    public void drain(String nodeName, Instant at) {
        byte[] name = bytes(nodeName);
        byte[] draining = bytes(keys.draining());
        link.call(at != null ? "HSETNX" : "HDEL", redis -> at != null
                ? redis.hsetnx(draining, name, bytes(Long.toString(at.toEpochMilli()))) : redis.hdel(draining, name));
    }

    @Override
    public Map<String, Instant> drainAsked() {
        var asked = new TreeMap<String, Instant>();
        link.call("HGETALL", redis -> redis.hgetall(bytes(keys.draining())))
                .forEach((name, at) -> asked.put(text(name), askedAt(at)));
        return asked;
    }

    @Override
    public Instant drainAskedOf(String nodeName) {
        byte[] at = link.call("HGET", redis -> redis.hget(bytes(keys.draining()), bytes(nodeName)));
        return at == null ? null : askedAt(at);
    }

    private static Instant askedAt(byte[] at) {
        try {
            return Instant.ofEpochMilli(Long.parseLong(text(at)));
        } catch (NumberFormatException e) {
            return Instant.EPOCH; // written by hand: asked all the same
        }
    }

    @Override
    public void relabel(String nodeName, Map<String, String> labels) {
        byte[] name = bytes(nodeName);
        byte[] asked = bytes(keys.labels());
        link.call(labels != null ? "HSET" : "HDEL", redis -> labels != null
                ? redis.hset(asked, name, bytes(NodeLabels.joined(labels))) : redis.hdel(asked, name));
    }

    @Override
    public Map<String, String> changeLabels(String nodeName, Map<String, String> own, Map<String, String> set,
            Set<String> removed) {
        List<byte[]> args = new ArrayList<>(List.of(bytes(nodeName), bytes(NodeLabels.joined(own)),
                bytes(Integer.toString(NodeLabels.MAX)), bytes(Integer.toString(set.size()))));
        set.forEach((key, value) -> {
            args.add(bytes(key));
            args.add(bytes(value));
        });
        removed.forEach(key -> args.add(bytes(key)));
        List<Object> reply = link.call("HSET", redis -> redis.eval(CHANGE_LABELS, ScriptOutputType.MULTI,
                new byte[][] {bytes(keys.labels())}, args.toArray(byte[][]::new)));
        if (((Number) reply.get(0)).longValue() != 0) {
            NodeLabels.checkCount("labels", ((Number) reply.get(1)).intValue()); // throws, as it is over
        }
        return NodeLabels.split(text((byte[]) reply.get(1)));
    }

    /**
     * NodeRegistry.changeLabels in one step: ARGV node, own (KEY=VALUE,...), most, n, n pairs of a key and its
     * value to set, then the keys to take away; {0, the labels} once stored, {1, how many} if too many.
     */
    private static final String CHANGE_LABELS = """
            local joined = redis.call('HGET', KEYS[1], ARGV[1]) or ARGV[2]
            local labels = {}
            for pair in string.gmatch(joined, '[^,]+') do
              local eq = string.find(pair, '=', 1, true)
              if eq and eq > 1 then labels[string.sub(pair, 1, eq - 1)] = string.sub(pair, eq + 1) end
            end
            local n = tonumber(ARGV[4])
            for i = 0, n - 1 do labels[ARGV[5 + 2 * i]] = ARGV[6 + 2 * i] end
            for i = 5 + 2 * n, #ARGV do labels[ARGV[i]] = nil end
            local out = {}
            for key, value in pairs(labels) do out[#out + 1] = key .. '=' .. value end
            if #out > tonumber(ARGV[3]) then return {1, #out} end
            table.sort(out)
            local result = table.concat(out, ',')
            redis.call('HSET', KEYS[1], ARGV[1], result)
            return {0, result}""";

    @Override
    public Map<String, Map<String, String>> labelsAsked() {
        var asked = new TreeMap<String, Map<String, String>>();
        link.call("HGETALL", redis -> redis.hgetall(bytes(keys.labels())))
                .forEach((name, labels) -> asked.put(text(name), NodeLabels.split(text(labels))));
        return asked;
    }

    @Override
    public Map<String, String> labelsAskedOf(String nodeName) {
        byte[] labels = link.call("HGET", redis -> redis.hget(bytes(keys.labels()), bytes(nodeName)));
        return labels == null ? null : NodeLabels.split(text(labels));
    }

    /**
     * Drops a name whose key has expired from the set, unless the node beat again since it was read:
     * a plain SREM then would hide a live node until its next heartbeat.
     */
    void forgetIfGone(byte[] name, byte[] nodeKey) {
        link.call("SREM", redis -> redis.eval(FORGET_IF_GONE, ScriptOutputType.INTEGER,
                new byte[][] {bytes(keys.nodes()), nodeKey}, name));
    }

    private static final String FORGET_IF_GONE = """
            if redis.call('EXISTS', KEYS[2]) == 0 then
              return redis.call('SREM', KEYS[1], ARGV[1])
            end
            return 0""";

    /** The node's heartbeat, or empty (and a warning) if it cannot be read: one bad node hides no others. */
    private static Optional<NodeStatus> read(String name, String heartbeat) {
        try {
            return Optional.of(HEARTBEAT.readValue(heartbeat));
        } catch (IOException e) {
            LOG.log(System.Logger.Level.WARNING, "cannot read the heartbeat of node " + name + "; leaving it out: "
                    + e.getMessage());
            return Optional.empty();
        }
    }

    private static String text(byte[] value) {
        return new String(value, StandardCharsets.UTF_8);
    }
}
