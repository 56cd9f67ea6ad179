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
}
