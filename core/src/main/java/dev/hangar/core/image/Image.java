package dev.hangar.core.image;

import java.nio.file.Path;
import java.time.Instant;

/**
 * A root filesystem jobs can run in, kept on this node.
 *
 * @param source  where it came from: "built-in", or the directory or tarball it was imported from
 */
public record Image(String name, Path rootfs, String source, Instant createdAt, long sizeBytes) {}
