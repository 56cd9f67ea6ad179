package dev.hangar.server;

import static org.assertj.core.api.Assertions.assertThat;

import dev.hangar.queue.sqlite.SqliteQueueBackend;
import dev.hangar.server.auth.Caller;
import dev.hangar.server.auth.TokenLookup;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Clock;
import java.util.List;
import java.util.Optional;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** A server without tokens on loopback is out of reach of a web page that points a name of its own at it (DNS rebinding). */
class HostNameCheckTest {
    @TempDir
    Path dir;
    private SqliteQueueBackend queue;
    private HangarServer server;

    @BeforeEach
    void open() {
        queue = SqliteQueueBackend.open(dir.resolve("hangar.db"), Clock.systemUTC());
    }

    @AfterEach
    void close() {
        if (server != null) {
            server.close();
        }
        queue.close();
    }

    @Test
    void aServerWithoutTokensOnLoopbackAnswersLoopbackNamesAloneAndRefusesAnotherNamingTheHostHeader() throws Exception {
        server = new HangarServer(queue, new TestNode()).start("127.0.0.1", 0);
        int port = server.port();

        String refused = get("/v1/jobs", "rebound.example.com:" + port);
        assertThat(refused).startsWith("HTTP/1.1 403 ").contains("\"field\":\"Host\"")
                .contains("'rebound.example.com:" + port + "' is not a name of this server");
        assertThat(get("/", "rebound.example.com")).as("the dashboard too").startsWith("HTTP/1.1 403 ");
        for (String host : new String[] {"localhost:" + port, "127.0.0.1:" + port, "[::1]:" + port, "127.0.0.1",
                "LOCALHOST", "hangar.localhost:" + port}) {
            assertThat(get("/v1/jobs", host)).as(host).startsWith("HTTP/1.1 200 ");
        }
        assertThat(get("/v1/jobs", "127.0.0.1:" + port)).as("no page may frame it").contains("X-Frame-Options: DENY");
    }

    @Test
    void aJobsRawOutputIsNeverTakenForAPageOrAScript() throws Exception {
        server = new HangarServer(queue, new TestNode()).start("127.0.0.1", 0);
        String id = queue.enqueue(dev.hangar.core.job.JobSpec.of("true")).job().id();
        queue.appendLog(id, 1, dev.hangar.core.runtime.OutputSink.Stream.STDOUT,
                "<html><script>alert(document.domain)</script>".getBytes(StandardCharsets.UTF_8));

        // the job's own words, on the server's origin: a browser that sniffed them as HTML would run its script
        String raw = get("/v1/jobs/" + id + "/logs?format=raw", "127.0.0.1:" + server.port());
        assertThat(raw).startsWith("HTTP/1.1 200 ").contains("Content-Type: application/octet-stream")
                .contains("X-Content-Type-Options: nosniff").contains("Content-Security-Policy: ")
                .contains("<script>alert");
        assertThat(get("/", "127.0.0.1:" + server.port())).contains("Content-Security-Policy: ")
                .contains("X-Content-Type-Options: nosniff");
    }

    @Test
    void aServerWithTokensTakesAnyNameAndOneOnEveryAddressChecksWhatComesOverLoopback() throws Exception {
        TokenLookup none = token -> Optional.<Caller>empty();
        server = new HangarServer(queue, new TestNode(), Optional.of(none)).start("127.0.0.1", 0);
        assertThat(get("/v1/jobs", "hangar.example.com")).as("a page cannot send the token").startsWith("HTTP/1.1 401 ");
        server.close();

        server = new HangarServer(queue, new TestNode()).start("0.0.0.0", 0);
        assertThat(get("/v1/jobs", "rebound.example.com")).as("a page's name, over loopback").startsWith("HTTP/1.1 403 ");
        String ownName = java.net.InetAddress.getLocalHost().getHostName();
        assertThat(get("/v1/jobs", ownName + ":" + server.port())).as("this machine's own name").startsWith("HTTP/1.1 200 ");
    }

    @Test
    void aServerWithoutTokensOnEveryAddressRefusesAPagesNameThatCameOverTheNetworkToo() throws Exception {
        server = new HangarServer(queue, new TestNode(), Optional.empty(), List.of("hangar.corp", ".lab.example", "hangar_backend"))
                .start("0.0.0.0", 0);
        int port = server.port();
        String address = networkAddress();
        org.junit.jupiter.api.Assumptions.assumeTrue(address != null, "this host has no IPv4 address but loopback's:"
                + " no request can come over a network");

        // a page on evil.example whose DNS now gives this host's address: its requests came over the network,
        // and were answered, every job's spec and output with them
        assertThat(get(address, "/v1/jobs", "evil.example:" + port)).as("over %s", address).startsWith("HTTP/1.1 403 ")
                .contains("start it with --allowed-host evil.example");
        for (String host : new String[] {address + ":" + port, "hangar.corp:" + port, "HANGAR.CORP.", "gpu-7.lab.example",
                "hangar_backend:" + port, java.net.InetAddress.getLocalHost().getHostName(),
                java.net.InetAddress.getLocalHost().getHostName() + ".:" + port, "localhost.:" + port}) {
            assertThat(get(address, "/v1/jobs", host)).as(host).startsWith("HTTP/1.1 200 ");
        }
        assertThat(get(address, "/v1/jobs", "lab.example.evil.example")).startsWith("HTTP/1.1 403 ");
        assertThat(get(address, "/v1/jobs", "xhangar.corp")).startsWith("HTTP/1.1 403 ");
    }

    @Test
    void anAllowedNameThatIsNoHostNameIsRefusedNamingTheOption() {
        assertThat(HostNameCheck.allowedName("Hangar.Corp.")).isEqualTo("hangar.corp");
        assertThat(HostNameCheck.allowedName(".example.com")).isEqualTo(".example.com");
        for (String bad : new String[] {"hangar.corp:7070", "*.example.com", "", "a..b", "-x.example"}) {
            org.assertj.core.api.Assertions.assertThatThrownBy(() -> HostNameCheck.allowedName(bad)).as(bad)
                    .isInstanceOf(IllegalArgumentException.class).hasMessageStartingWith("--allowed-host: '" + bad + "'");
        }
    }

    @Test
    void theNameOfAHostHeaderIsWithoutItsPortAndBrackets() {
        assertThat(HostNameCheck.hostName("LocalHost:7070")).isEqualTo("localhost");
        assertThat(HostNameCheck.hostName("[::1]:7070")).isEqualTo("::1");
        assertThat(HostNameCheck.hostName("127.0.0.2")).isEqualTo("127.0.0.2");
        assertThat(HostNameCheck.isLoopbackName("127.0.0.2")).isTrue();
        assertThat(HostNameCheck.isLoopbackName("::1")).isTrue();
        assertThat(HostNameCheck.isLoopbackName("10.0.0.1")).isFalse();
        assertThat(HostNameCheck.isLoopbackName("localhost.example.com")).isFalse();
        // an address as a browser writes it; other strings of digits would be looked up in DNS, as names
        assertThat(HostNameCheck.isAddress("192.0.2.7")).isTrue();
        assertThat(HostNameCheck.isAddress("fe80::1")).isTrue();
        assertThat(HostNameCheck.isAddress("999.1.1.1")).isFalse();
        assertThat(HostNameCheck.isAddress("2130706433")).isFalse();
        assertThat(HostNameCheck.isAddress("1.2.3.4.example")).isFalse();
    }

    /** An address of this host on a network, as another machine reaches it; null on a host with none. */
    private static String networkAddress() throws java.io.IOException {
        return java.net.NetworkInterface.networkInterfaces().filter(n -> {
                    try {
                        return n.isUp() && !n.isLoopback();
                    } catch (java.net.SocketException e) {
                        return false;
                    }
                }).flatMap(java.net.NetworkInterface::inetAddresses)
                .filter(a -> a instanceof java.net.Inet4Address).map(java.net.InetAddress::getHostAddress)
                .findFirst().orElse(null);
    }

    private String get(String path, String host) throws Exception {
        return get("127.0.0.1", path, host);
    }

    private String get(String address, String path, String host) throws Exception {
        try (var socket = new Socket(address, server.port())) {
            socket.setSoTimeout(20_000);
            socket.getOutputStream().write(("GET " + path + " HTTP/1.1\r\nHost: " + host + "\r\nConnection: close\r\n\r\n")
                    .getBytes(StandardCharsets.US_ASCII));
            return new String(socket.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        }
    }
}
