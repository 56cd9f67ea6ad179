package dev.hangar.runtime.support;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.concurrent.TimeUnit;

/** Owners for tests of what a gone node left: one that has exited, and one named in other namespaces. */
final class Owners {
    private Owners() {}

    /** A process of this host that has exited. */
    static OwningProcess thatExited() throws Exception {
        Process process = new ProcessBuilder("sleep", "300").start();
        OwningProcess owner = of(process);
        process.destroyForcibly();
        assertThat(process.waitFor(10, TimeUnit.SECONDS)).isTrue();
        return owner;
    }

    static OwningProcess of(Process process) {
        return new OwningProcess(process.pid(), OwningProcess.startTicks(process.pid()).orElseThrow(),
                OwningProcess.currentNamespaces());
    }

    /** The same process as if named by a node in other pid and time namespaces (a container's, say). */
    static OwningProcess elsewhere(OwningProcess owner) {
        return new OwningProcess(owner.pid(), owner.startTicks(), "1.2");
    }
}
