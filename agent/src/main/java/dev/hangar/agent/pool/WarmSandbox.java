package dev.hangar.agent.pool;

import dev.hangar.core.runtime.Sandbox;
import java.time.Instant;

/**
 * A sandbox taken from a warm pool for one job. Closing it destroys the sandbox (it never serves a
 * second job) and tells the pool the job is done.
 *
 * @param readyAt when its launcher came up, ready for a job
 */
/** A sandbox taken from a pool; {@code restored} when the pool restores a snapshot template rather than boots. */
public record WarmSandbox(Sandbox sandbox, String pool, Instant readyAt, boolean restored, Runnable onClose)
        implements AutoCloseable {
    @Override
    public void close() {
        try {
            sandbox.destroy();
        } finally {
            onClose.run();
        }
    }
}
