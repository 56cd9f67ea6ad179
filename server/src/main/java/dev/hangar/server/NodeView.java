package dev.hangar.server;

import dev.hangar.core.job.SpecLimits;
import dev.hangar.core.runtime.RuntimeStatus;
import java.util.List;

/**
 * What the server knows of the nodes behind it: their runtimes and the bounds a job must fit.
 * In one-JVM mode it is the local agent.
 */
public interface NodeView {
    List<RuntimeStatus> runtimes();

    SpecLimits limits();
}
