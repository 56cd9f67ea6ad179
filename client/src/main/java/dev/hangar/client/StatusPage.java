package dev.hangar.client;

import java.util.List;

/** A page of jobs as {@code GET /v1/jobs} shows it: each with why it waits, if it does; the next page's cursor, or null. */
public record StatusPage(List<JobStatus> jobs, String nextCursor) {}
