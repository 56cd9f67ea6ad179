package dev.hangar.agent;

import java.time.Duration;

/** Wakes the agent loop early when work may have arrived or room was freed. */
final class WakeSignal {
    private boolean pending;

    synchronized void wake() {
        pending = true;
        notifyAll();
    }

    /** Waits for a wake-up or the timeout, whichever comes first. */
    synchronized void await(Duration timeout) throws InterruptedException {
        long deadline = System.nanoTime() + timeout.toNanos();
        while (!pending) {
            long left = deadline - System.nanoTime();
            if (left <= 0) {
                break;
            }
            wait(Math.max(1, left / 1_000_000));
        }
        pending = false;
    }
}
