package dev.hangar.queue.redis;

import dev.hangar.core.job.Job;
import io.lettuce.core.KeyValue;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * The views of the jobs the change feed tells of, kept up to date by the changes themselves: a
 * change entry carries only the fields that changed and the state (common.lua, {@code emit}), so
 * the feed applies it to the view it holds; a new job's entry carries its whole view. That keeps
 * each script from reading and writing a job's every field per change.
 *
 * <p>A job the feed holds no view of (submitted before the feed started, or its view dropped to
 * bound memory) is read from its hash first; its fields may then be a little ahead of the change
 * being told, whose state and fields win. A final job's view is dropped once told. Used by the
 * feed's one reader thread only.
 */
final class JobViews {
    /** Views held at most: the least lately changed goes first, and is read again should it change again. */
    static final int MOST = 20_000;
    /**
     * Characters the views hold at most: a spec may carry a mebibyte of stdin, and every process that
     * listens (each server, each agent) holds these views.
     */
    static final long MOST_CHARS = 16L << 20;

    private final RedisLink link;
    private final RedisKeys keys;
    /** In the order they last changed, the least lately first. */
    private final Map<String, Map<String, String>> views = new LinkedHashMap<>();
    private long chars;

    JobViews(RedisLink link, RedisKeys keys) {
        this.link = link;
        this.keys = keys;
    }

    /**
     * The job as this change leaves it (the fields of a change entry of kind job but its kind and
     * job), or null if the job is gone (its retention ended).
     */
    Job apply(String jobId, Map<String, String> delta) {
        Map<String, String> held = views.remove(jobId);
        if (held != null) {
            chars -= charsOf(held);
        }
        Map<String, String> view = delta.remove("full") != null ? new HashMap<>() : held;
        if (view == null) {
            view = read(jobId);
            if (view.isEmpty()) {
                return null;
            }
        }
        view.putAll(delta);
        Job job = JobHash.toJob(view);
        if (!job.state().isFinal()) {
            views.put(jobId, view);
            chars += charsOf(view);
            bound();
        }
        return job;
    }

    /** Drops the least lately changed views while there are more, or they hold more, than allowed. */
    private void bound() {
        var least = views.values().iterator();
        while ((views.size() > MOST || chars > MOST_CHARS) && least.hasNext()) {
            chars -= charsOf(least.next());
            least.remove();
        }
    }

    private static long charsOf(Map<String, String> view) {
        long sum = 0;
        for (var field : view.entrySet()) {
            sum += field.getKey().length() + (field.getValue() == null ? 0 : field.getValue().length());
        }
        return sum;
    }

    /** Characters the views hold now. */
    long chars() {
        return chars;
    }

    int size() {
        return views.size();
    }

    /** Drops every view: each job is read afresh when it next changes. */
    void forgetAll() {
        views.clear();
        chars = 0;
    }

    /** The job's view as its hash now holds it; empty if it is gone. */
    private Map<String, String> read(String jobId) {
        List<KeyValue<byte[], byte[]>> values = link.call("HMGET " + keys.job(jobId),
                redis -> redis.hmget(RedisLink.bytes(keys.job(jobId)), JobHash.VIEW_FIELDS));
        Map<String, String> view = new HashMap<>();
        for (KeyValue<byte[], byte[]> value : values) {
            if (value.hasValue()) {
                view.put(Replies.text(value.getKey()), Replies.text(value.getValue()));
            }
        }
        return view.containsKey("state") ? view : new HashMap<>();
    }
}
