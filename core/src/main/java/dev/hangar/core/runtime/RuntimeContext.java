package dev.hangar.core.runtime;

import dev.hangar.core.image.ImageStore;
import java.nio.file.Path;

/** What a driver is given by the node: where it may keep files, and the node's images. */
public record RuntimeContext(Path dataDir, ImageStore images) {}
