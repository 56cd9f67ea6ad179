package dev.hangar.images;

import java.time.Instant;

/** What {@code image.json} beside a root filesystem records. */
record ImageMetadata(String name, String source, Instant createdAt, long sizeBytes) {}
