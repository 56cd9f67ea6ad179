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
    /** Views held at most: the oldest goes first, and is read again should it change again. */
    private static final int MOST = 20_000;

    private final RedisLink link;
    private final RedisKeys keys;
    private final Map<String, Map<String, String>> views = new LinkedHashMap<>(1024, 0.75f, false) {
        @Override
        protected boolean removeEldestEntry(Map.Entry<String, Map<String, String>> eldest) {
            return size() > MOST;
        }
    };

    JobViews(RedisLink link, RedisKeys keys) {
        this.link = link;
        this.keys = keys;
    }

    /**
     * The job as this change leaves it (the fields of a change entry of kind job but its kind and
     * job), or null if the job is gone (its retention ended).
     */
    Job apply(String jobId, Map<String, String> delta) {
        Map<String, String> view = delta.remove("full") != null ? new HashMap<>() : views.get(jobId);
        if (view == null) {
            view = read(jobId);
            if (view.isEmpty()) {
                return null;
            }
        }
        view.putAll(delta);
        Job job = JobHash.toJob(view);
        if (job.state().isFinal()) {
            views.remove(jobId);
        } else {
            views.put(jobId, view);
        }
        return job;
    }

    /** Drops every view: each job is read afresh when it next changes. */
    void forgetAll() {
        views.clear();
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
