package dev.hangar.queue.redis;

import dev.hangar.core.job.InvalidSpecException;
import dev.hangar.core.job.JobSpec;
import dev.hangar.core.queue.QueueException;
import io.lettuce.core.Consumer;
import io.lettuce.core.ScriptOutputType;
import io.lettuce.core.StreamMessage;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import java.util.function.UnaryOperator;

/**
 * Takes jobs in from the submit stream {@code P:submit} (consumer group {@code intake}): each
 * entry becomes a QUEUED job (see {@link WireFormat}), or, if it is not a valid job, goes to the
 * dead-letter stream with the reason; either way it then leaves the submit stream. An entry that a
 * crashed process read but never finished is taken over once it has been idle for a while.
 */
final class Intake {
    private static final System.Logger LOG = System.getLogger(Intake.class.getName());
    /** Entries idle this long in another intaker's hands are taken to be abandoned. */
    private static final Duration ABANDONED = Duration.ofSeconds(30);
    /**
     * A consumer of the group that holds nothing and read nothing for this long is of a process that
     * went without leaving (killed): removed, or every such process would leave one for good. Removing
     * a live one by mistake costs nothing, as its next read makes it again.
     */
    private static final Duration GONE = Duration.ofHours(1);
    /** How often a process looks for consumers that are gone. */
    private static final Duration PRUNE_EVERY = Duration.ofMinutes(10);
    /**
     * The most bytes of entries one read returns (an entry may take it past, and one is always read): a batch of
     * entries each just under {@link WireFormat#MAX_ENTRY_BYTES} would otherwise be hundreds of MiB.
     */
    static final int READ_BUDGET_BYTES = 4 * WireFormat.MAX_ENTRY_BYTES;

    /** Where valid and invalid entries go. */
    interface Sink {
        /**
         * Whether a job made under this spec's idempotency key answers the entry, which no node takes
         * now: taken off as a repeat of that job's submit, or set aside as another spec under its key.
         */
        boolean answeredByEarlierJob(String entryId, JobSpec spec, InvalidSpecException refused, Map<String, String> entry);

        void enqueue(String entryId, JobSpec spec, Map<String, String> entry);

        void deadLetter(String entryId, String reason, Map<String, String> entry);

        /** So many entries were set aside unread, as larger than a job may be (see intake_read.lua). */
        void setAsideUnread(int count);
    }

    private final RedisLink link;
    private final LuaScripts scripts;
    private final byte[] stream;
    private final String streamName;
    private final Consumer<byte[]> consumer = Consumer.from(RedisLink.bytes(RedisKeys.INTAKE),
            RedisLink.bytes("intake-" + UUID.randomUUID()));
    private volatile boolean groupChecked;
    /** When this process last looked for consumers that are gone (System.nanoTime), or 0 for never. */
    private long prunedAtNanos;

    Intake(RedisLink link, LuaScripts scripts, RedisKeys keys) {
        this.link = link;
        this.scripts = scripts;
        this.streamName = keys.submit();
        this.stream = RedisLink.bytes(streamName);
    }

    /** Handles at most {@code max} entries; returns how many it handled. */
    int run(int max, UnaryOperator<JobSpec> validate, Sink sink) {
        if (max < 1) {
            return 0;
        }
        Read read;
        try {
            read = read(max);
        } catch (QueueException e) {
            groupChecked = false; // e.g. NOGROUP after Redis lost its data: make it again next time
            throw e;
        }
        sink.setAsideUnread(read.setAside());
        for (StreamMessage<byte[], byte[]> entry : read.entries()) {
            Map<String, String> fields = DeadLetter.entryAsGiven(entry.getBody());
            JobSpec spec;
            try {
                JobSpec parsed = WireFormat.parse(WireFormat.fields(entry.getBody()));
                try {
                    spec = validate.apply(parsed);
                } catch (InvalidSpecException refused) {
                    // as a REST submit: a repeat is answered by its job though the only node that fitted it is gone
                    if (sink.answeredByEarlierJob(entry.getId(), parsed, refused, fields)) {
                        continue;
                    }
                    throw refused;
                }
            } catch (QueueException e) {
                throw e; // as below: the entry stays pending
            } catch (InvalidSpecException e) {
                sink.deadLetter(entry.getId(), e.getMessage(), fields);
                continue;
            } catch (RuntimeException e) {
                // a check that threw instead of naming a field: the entry is still not a job, and must not
                // hold up the entries after it (it would come back first after every takeover)
                sink.deadLetter(entry.getId(), "not a valid job: " + e, fields);
                continue;
            }
            try {
                sink.enqueue(entry.getId(), spec, fields);
            } catch (QueueException e) {
                throw e; // the queue failed: the entry stays pending, and is taken in again next time
            } catch (RuntimeException e) {
                // as above: an entry that cannot be taken in must not hold up the entries after it
                sink.deadLetter(entry.getId(), "could not be taken in: " + e, fields);
            }
        }
        return read.setAside() + read.entries().size();
    }

    /**
     * Leaves the group, unless this process holds entries it has not finished (another takes them
     * over): a consumer is made per process, and each left behind would stay in the group for good.
     */
    void leave() {
        if (!groupChecked) {
            return; // never read: never joined
        }
        try {
            // one step: an entry read between a check and a delete would be dropped from the group's pending
            link.call("XGROUP DELCONSUMER " + streamName, redis -> redis.eval(LEAVE_IF_NOTHING_PENDING,
                    ScriptOutputType.INTEGER, new byte[][] {stream}, consumer.getGroup(), consumer.getName()));
        } catch (QueueException e) {
            LOG.log(System.Logger.Level.DEBUG, "leaving the intake group failed; its consumer stays", e);
        }
    }

    /** Removes the consumers that hold nothing and were idle longer than {@code idleFor}; returns how many. */
    long pruneGoneConsumers(Duration idleFor) {
        return link.call("XGROUP DELCONSUMER " + streamName, redis -> redis.eval(DELETE_IDLE_AND_EMPTY,
                ScriptOutputType.INTEGER, new byte[][] {stream}, consumer.getGroup(),
                RedisLink.bytes(Long.toString(idleFor.toMillis()))));
    }

    private static final String DELETE_IDLE_AND_EMPTY = """
            local removed = 0
            for _, consumer in ipairs(redis.call('XINFO', 'CONSUMERS', KEYS[1], ARGV[1])) do
              local info = {}
              for i = 1, #consumer, 2 do info[consumer[i]] = consumer[i + 1] end
              if info['pending'] == 0 and info['idle'] > tonumber(ARGV[2]) then
                redis.call('XGROUP', 'DELCONSUMER', KEYS[1], ARGV[1], info['name'])
                removed = removed + 1
              end
            end
            return removed""";

    private static final String LEAVE_IF_NOTHING_PENDING = """
            if #redis.call('XPENDING', KEYS[1], ARGV[1], '-', '+', 1, ARGV[2]) == 0 then
              return redis.call('XGROUP', 'DELCONSUMER', KEYS[1], ARGV[1], ARGV[2])
            end
            return -1""";

    /** What one read gave: entries set aside unread, and the entries to take in. */
    private record Read(int setAside, List<StreamMessage<byte[], byte[]>> entries) {}

    private Read read(int max) {
        if (!groupChecked) {
            link.ensureGroup(streamName, RedisKeys.INTAKE);
            groupChecked = true;
        }
        long now = System.nanoTime();
        if (prunedAtNanos == 0 || now - prunedAtNanos >= PRUNE_EVERY.toNanos()) {
            prunedAtNanos = now;
            pruneGoneConsumers(GONE);
        }
        // why one script: an entry is sized in the same step that reads it, so that none larger than a
        // job may be reaches this process, whatever other servers read meanwhile
        List<Object> reply = scripts.call(LuaScripts.Script.INTAKE_READ, consumer.getName(), max,
                WireFormat.MAX_ENTRY_BYTES, ABANDONED.toMillis(), READ_BUDGET_BYTES);
        List<StreamMessage<byte[], byte[]>> entries = new ArrayList<>();
        for (int i = 1; i < reply.size(); i += 2) {
            List<?> fields = Replies.list(reply.get(i + 1));
            Map<byte[], byte[]> body = new LinkedHashMap<>();
            for (int f = 0; f < fields.size(); f += 2) {
                body.put((byte[]) fields.get(f), (byte[]) fields.get(f + 1));
            }
            entries.add(new StreamMessage<>(stream, Replies.text(reply.get(i)), body));
        }
        return new Read((int) Replies.number(reply.getFirst()), entries);
    }
}
