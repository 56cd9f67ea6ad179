package dev.hangar.core.queue;

import dev.hangar.core.job.StartPath;
import java.time.Instant;
import java.util.Objects;

/**
 * How the process of an attempt came to run, recorded with its start: the path its sandbox took,
 * when that sandbox became ready, and which sandbox it is (id and creation time).
 */
public record StartRecord(StartPath path, Instant sandboxReadyAt, String sandboxId, Instant sandboxCreatedAt) {
    public StartRecord {
        Objects.requireNonNull(path, "path");
        Objects.requireNonNull(sandboxReadyAt, "sandboxReadyAt");
    }
}
