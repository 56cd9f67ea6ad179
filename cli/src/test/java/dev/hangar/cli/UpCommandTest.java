package dev.hangar.cli;

import static org.assertj.core.api.Assertions.assertThat;

import org.junit.jupiter.api.Test;

class UpCommandTest {
    @Test
    void theBannersAddressIsOneAClientOnThisMachineCanCall() {
        assertThat(UpCommand.url("0.0.0.0", 7070)).as("every interface").isEqualTo("http://127.0.0.1:7070");
        assertThat(UpCommand.url("::", 7070)).as("every interface, IPv6").isEqualTo("http://[::1]:7070");
        assertThat(UpCommand.url("::1", 7070)).as("an IPv6 literal in brackets").isEqualTo("http://[::1]:7070");
        assertThat(UpCommand.url("[::1]", 7070)).as("once").isEqualTo("http://[::1]:7070");
        assertThat(UpCommand.url("127.0.0.1", 7070)).isEqualTo("http://127.0.0.1:7070");
        assertThat(UpCommand.url("localhost", 7070)).isEqualTo("http://localhost:7070");
    }

    @Test
    void aPortTakenIsSaidToBeInUseAndOneRefusedForAnotherReasonIsNot() throws Exception {
        try (var taken = new java.net.ServerSocket(0, 1, java.net.InetAddress.getLoopbackAddress())) {
            org.assertj.core.api.Assertions.assertThatThrownBy(() -> UpCommand.checkListen("127.0.0.1", taken.getLocalPort()))
                    .hasMessageStartingWith("--port " + taken.getLocalPort() + " is in use on 127.0.0.1");
        }
        // as a user who is not root binding port 80 is told; it was said to be "in use"
        assertThat(UpCommand.cannotListen("127.0.0.1", 80, new java.net.BindException("Permission denied")))
                .isEqualTo("--port 80: cannot listen on 127.0.0.1 (Permission denied); a port below 1024 needs root (or"
                        + " CAP_NET_BIND_SERVICE)");
    }
}
