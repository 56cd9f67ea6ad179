package dev.hangar.runtime.process;

/** The runtime contract again, with the job's root filesystem the built-in busybox image instead of the host's /usr. */
class BubblewrapBusyboxContractTest extends BubblewrapRuntimeContractTest {
    @Override
    protected String image() {
        return "busybox";
    }
}
