package dev.hangar.core.queue;

import dev.hangar.core.job.Job;
import java.util.List;

/** One page of jobs; {@code nextCursor} is null on the last page. */
public record JobPage(List<Job> jobs, String nextCursor) {}
