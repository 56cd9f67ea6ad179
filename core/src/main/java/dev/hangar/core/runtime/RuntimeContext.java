package dev.hangar.core.runtime;

import java.nio.file.Path;

/** What a driver is given by the node: where it may keep files. */
public record RuntimeContext(Path dataDir) {}
