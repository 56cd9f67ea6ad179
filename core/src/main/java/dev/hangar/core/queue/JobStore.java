package dev.hangar.core.queue;

import dev.hangar.core.job.Job;
import dev.hangar.core.job.JobSpec;
import dev.hangar.core.job.JobState;
import dev.hangar.core.runtime.OutputSink;
import java.util.List;
import java.util.Map;
import java.util.Optional;

/** The read side of a queue backend, plus job output. */
public interface JobStore {
    Optional<Job> get(String jobId);

    /**
     * The job an earlier submit with this spec's idempotency key (in the spec's tenant) made, while
     * it is kept: what a repeat of that submit stands for. Empty for a spec without a key.
     */
    Optional<Job> findByIdempotencyKey(JobSpec spec);

    JobPage list(JobQuery query);

    Map<JobState, Long> countByState();

    /**
     * The job in this state that was submitted first, e.g. the one that has waited longest in the
     * queue; empty if no job is in that state. Cheap: it backs the queue-age metric on every scrape.
     */
    Optional<Job> oldest(JobState state);

    /**
     * Adds output of the job's current attempt, as of its current delivery. Output of a job that is
     * final is dropped.
     */
    void appendLog(String jobId, int attempt, OutputSink.Stream stream, byte[] data);

    /** Chunks with {@code seq > afterSeq}, oldest first, at most {@code max}. */
    List<LogChunk> readLog(String jobId, long afterSeq, int max);

    /** The newest {@code max} chunks with {@code seq < beforeSeq}, oldest first: the output read back from its end. */
    List<LogChunk> readLogBefore(String jobId, long beforeSeq, int max);

    /** Registers a listener for changes; returns a handle that removes it. */
    AutoCloseable subscribe(QueueListener listener);
}
