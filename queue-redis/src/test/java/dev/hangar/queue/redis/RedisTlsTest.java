package dev.hangar.queue.redis;

import static dev.hangar.queue.testkit.TestJobs.spec;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.awaitility.Awaitility.await;

import dev.hangar.core.job.Job;
import dev.hangar.core.job.JobState;
import dev.hangar.core.queue.QueueException;
import java.io.IOException;
import java.net.URI;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Clock;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The queue on a real redis-server over TLS, with certificates of a test authority (made with openssl). */
class RedisTlsTest {
    @TempDir
    static Path dir;
    private static TestCertificates authority;
    private static TestCertificates stranger;
    private static TestCertificates.Pair serverCert;

    @BeforeAll
    static void certificates() {
        authority = TestCertificates.authority(dir, "hangar-test");
        stranger = TestCertificates.authority(dir, "stranger");
        serverCert = authority.issue("redis", "IP:127.0.0.1", "DNS:localhost");
    }

    private static RedisQueueBackend open(String location) {
        return RedisQueueBackend.open(URI.create(location), Clock.systemUTC());
    }

    private static String tls(RedisServerProcess redis, String query) {
        return "rediss://127.0.0.1:" + redis.tlsPort() + "/?timeout=PT3S&" + query;
    }

    @Test
    void theQueueRunsOverTlsAndAPlainClientGetsNothingFromItsTlsPort() {
        try (RedisServerProcess redis = RedisServerProcess.withTls(serverCert, authority.caCert(), false);
                RedisQueueBackend queue = open(tls(redis, "tlsCa=" + authority.caCert()))) {
            String id = queue.enqueue(spec("over-tls")).job().id();
            assertThat(QueueRuns.runAll(queue, "w1")).isEqualTo(1);
            assertThat(queue.get(id).orElseThrow().state()).isEqualTo(JobState.SUCCEEDED);
            assertThat(redis.cli("CLIENT", "LIST")).as("the queue's connections came in on the TLS port")
                    .contains("laddr=127.0.0.1:" + redis.tlsPort());

            assertThatThrownBy(() -> open("redis://127.0.0.1:" + redis.tlsPort() + "/?timeout=PT2S").close())
                    .isInstanceOf(QueueException.class).hasMessageContaining("cannot connect to the queue at redis://127.0.0.1:"
                            + redis.tlsPort());
        }
    }

    @Test
    void aServerWhoseCertificateNoTrustedAuthoritySignedIsRefusedUnlessTlsVerifyIsNone() {
        try (RedisServerProcess redis = RedisServerProcess.withTls(serverCert, authority.caCert(), false)) {
            assertThatThrownBy(() -> open(tls(redis, "tlsCa=" + stranger.caCert())).close())
                    .isInstanceOf(QueueException.class)
                    .hasMessageContaining("cannot connect to the queue at rediss://127.0.0.1:" + redis.tlsPort())
                    .hasMessageContaining("certification path")
                    .hasMessageContaining("the TLS handshake failed: tlsCa names the authorities to trust");
            try (RedisQueueBackend queue = open(tls(redis, "tlsVerify=none"))) {
                assertThat(queue.enqueue(spec("unchecked")).created()).isTrue();
            }
        }
    }

    @Test
    void theServersNameIsCheckedUnlessTlsVerifyIsCa() {
        TestCertificates.Pair otherName = authority.issue("redis", "DNS:redis.test");
        try (RedisServerProcess redis = RedisServerProcess.withTls(otherName, authority.caCert(), false)) {
            assertThatThrownBy(() -> open(tls(redis, "tlsCa=" + authority.caCert())).close())
                    .isInstanceOf(QueueException.class)
                    .hasMessageContaining("cannot connect")
                    .hasMessageContaining("No subject alternative names matching IP address 127.0.0.1")
                    .hasMessageContaining("tlsVerify=ca leaves the host name unchecked");
            try (RedisQueueBackend queue = open(tls(redis, "tlsCa=" + authority.caCert() + "&tlsVerify=ca"))) {
                assertThat(queue.enqueue(spec("chain-checked")).created()).isTrue();
            }
        }
    }

    @Test
    void aTlsClientAtAPortThatSpeaksNoTlsIsToldTheHandshakeWentUnanswered() {
        try (RedisServerProcess redis = RedisServerProcess.start()) {
            assertThatThrownBy(() -> open("rediss://127.0.0.1:" + redis.port() + "/?timeout=PT1S").close())
                    .isInstanceOf(QueueException.class)
                    .hasMessageContaining("a server that speaks no TLS on that port leaves the handshake unanswered");
        }
    }

    @Test
    void aServerThatAsksClientsForACertificateTakesTheOneGivenAndRefusesThoseWithout() {
        TestCertificates.Pair client = authority.issue("hangar-agent");
        try (RedisServerProcess redis = RedisServerProcess.withTls(serverCert, authority.caCert(), true)) {
            assertThatThrownBy(() -> open(tls(redis, "tlsCa=" + authority.caCert())).close())
                    .isInstanceOf(QueueException.class).hasMessageContaining("cannot connect")
                    .hasMessageContaining("tlsCert and tlsKey give a certificate to a server that asks for one");
            try (RedisQueueBackend queue = open(tls(redis, "tlsCa=" + authority.caCert() + "&tlsCert=" + client.cert()
                    + "&tlsKey=" + client.key()))) {
                assertThat(queue.enqueue(spec("mutual")).created()).isTrue();
            }
        }
    }

    @Test
    void theQueueRunsOnARedisClusterOverTlsFindingItsNodesTlsPorts() {
        try (RedisClusterProcess cluster = RedisClusterProcess.startWithTls(3, serverCert, authority.caCert());
                RedisQueueBackend queue = RedisQueueBackend.open(cluster.tlsUri("prefix=tls&tlsCa=" + authority.caCert()),
                        Clock.systemUTC())) {
            String id = queue.enqueue(spec("over-tls")).job().id();
            assertThat(QueueRuns.runAll(queue, "w1")).isEqualTo(1);
            assertThat(queue.get(id).orElseThrow().state()).isEqualTo(JobState.SUCCEEDED);
            RedisServerProcess master = cluster.serving(cluster.slotOf("tls"));
            assertThat(master.cli("EXISTS", "{tls}:job:" + id)).isEqualTo("1");
        }
    }

    @Test
    void theQueueFindsItsMasterThroughSentinelsOverTls() {
        try (RedisServerProcess master = RedisServerProcess.withTls(serverCert, authority.caCert(), false);
                RedisServerProcess sentinel = RedisServerProcess.sentinelWithTls(master, "tlsmaster", serverCert,
                        authority.caCert());
                RedisQueueBackend queue = open("rediss-sentinel://127.0.0.1:" + sentinel.tlsPort()
                        + "/?master=tlsmaster&timeout=PT3S&tlsCa=" + authority.caCert())) {
            String id = queue.enqueue(spec("through-sentinel")).job().id();
            assertThat(master.cli("EXISTS", "{hangar}:job:" + id)).isEqualTo("1");
        }
    }

    /** As RedisSentinelTest's failover, every connection over TLS: the sentinels', the master's and the replica's. */
    @Test
    void theQueueFollowsAFailoverThroughSentinelsOverTlsAndLosesNoJobItConfirmed() {
        Path ca = authority.caCert();
        try (RedisServerProcess master = RedisServerProcess.withTls(serverCert, ca, false);
                RedisServerProcess replica = RedisServerProcess.replicaWithTls(master, serverCert, ca);
                RedisServerProcess sentinel = RedisServerProcess.sentinelWithTls(master, "tlsfail", serverCert, ca)) {
            await().atMost(Duration.ofSeconds(30)).pollInterval(Duration.ofMillis(200)).until(() ->
                    sentinel.cli("SENTINEL", "REPLICAS", "tlsfail").contains(String.valueOf(replica.tlsPort())));
            RedisSentinelTest.awaitInSync(replica);
            try (RedisQueueBackend queue = open("rediss-sentinel://127.0.0.1:" + sentinel.tlsPort()
                    + "/?master=tlsfail&replicas=1&timeout=PT5S&tlsCa=" + ca)) {
                List<String> confirmed = new ArrayList<>();
                for (int i = 0; i < 20; i++) {
                    confirmed.add(queue.enqueue(spec("before-" + i)).job().id());
                }

                master.kill();
                await().atMost(Duration.ofSeconds(30)).pollInterval(Duration.ofMillis(200)).until(() ->
                        replica.cli("ROLE").startsWith("master") && sentinel.cli("SENTINEL", "GET-MASTER-ADDR-BY-NAME",
                                "tlsfail").endsWith(String.valueOf(replica.tlsPort())));
                master.restart(); // back as the new master's replica, so that writes are held twice again
                RedisSentinelTest.awaitInSync(master);

                Job after = await().atMost(Duration.ofSeconds(60)).pollInterval(Duration.ofMillis(200)).ignoreExceptions()
                        .until(() -> queue.enqueue(spec().name("after").idempotencyKey("after-tls-failover").build()).job(),
                                job -> job != null);
                assertThat(confirmed).allSatisfy(id -> assertThat(queue.get(id)).as(id).isPresent());
                assertThat(replica.cli("EXISTS", "{hangar}:job:" + after.id())).as("on the promoted replica").isEqualTo("1");
                assertThat(QueueRuns.runAll(queue, "w1")).isEqualTo(21);
            }
        }
    }

    @Test
    void everyTlsParameterIsCheckedNamingItsField() throws IOException {
        String ca = authority.caCert().toString();
        assertThat(RedisSettings.parse(URI.create("rediss://h:6380/?tlsCa=" + ca)).where())
                .isEqualTo("rediss://h:6380/0 (prefix hangar)");
        assertThat(RedisSettings.parse(URI.create("rediss-cluster://a:7000,b:7001")).where()).startsWith("rediss-cluster://a:7000,b:7001");
        assertThat(RedisSettings.parse(URI.create("rediss-sentinel://s:26379/?master=m")).redis().getSentinels())
                .allSatisfy(sentinel -> assertThat(sentinel.isSsl()).isTrue());
        assertThat(RedisSettings.parse(URI.create("redis://h:6379")).tls()).isNull();

        assertThatThrownBy(() -> RedisSettings.parse(URI.create("redis://h:6379/?tlsCa=" + ca)))
                .hasMessageStartingWith("tlsCa: only a rediss:// location");
        assertThatThrownBy(() -> RedisSettings.parse(URI.create("rediss://h/?tlsCa=" + dir.resolve("missing.pem"))))
                .hasMessageStartingWith("tlsCa: no readable file at");
        Path notPem = Files.writeString(dir.resolve("not.pem"), "hello");
        assertThatThrownBy(() -> RedisSettings.parse(URI.create("rediss://h/?tlsCa=" + notPem)))
                .hasMessageStartingWith("tlsCa: " + notPem + " is not a PEM file of certificates");
        assertThatThrownBy(() -> RedisSettings.parse(URI.create("rediss://h/?tlsCert=" + ca)))
                .hasMessageStartingWith("tlsKey: a client certificate needs both");
        Path pkcs1 = Files.writeString(dir.resolve("rsa.key"), "-----BEGIN RSA PRIVATE KEY-----\nAAAA\n-----END RSA PRIVATE KEY-----\n");
        assertThatThrownBy(() -> RedisSettings.parse(URI.create("rediss://h/?tlsCert=" + ca + "&tlsKey=" + pkcs1)))
                .hasMessageStartingWith("tlsKey: " + pkcs1 + " holds no unencrypted PKCS#8 key")
                .hasMessageContaining("openssl pkcs8 -topk8");
        Path unreadable = Files.writeString(dir.resolve("broken.key"), "-----BEGIN PRIVATE KEY-----\nAAAA\n-----END PRIVATE KEY-----\n");
        assertThatThrownBy(() -> RedisSettings.parse(URI.create("rediss://h/?tlsCert=" + serverCert.cert() + "&tlsKey=" + unreadable)))
                .hasMessage("tlsKey: " + unreadable + " holds no RSA, EC or EdDSA private key this process can read");
        TestCertificates.Pair other = authority.issue("other");
        assertThatThrownBy(() -> RedisSettings.parse(URI.create("rediss://h/?tlsCert=" + serverCert.cert() + "&tlsKey=" + other.key())))
                .hasMessage("tlsKey: " + other.key() + " is not the key of tlsCert's certificate (CN=redis)");
        assertThat(RedisSettings.parse(URI.create("rediss://h/?tlsCert=" + serverCert.cert() + "&tlsKey=" + serverCert.key()))
                .tls().key()).isEqualTo(serverCert.key());
        assertThatThrownBy(() -> RedisSettings.parse(URI.create("rediss://h/?tlsVerify=strict")))
                .hasMessageStartingWith("tlsVerify must be full");
        assertThatThrownBy(() -> RedisSettings.parse(URI.create("redis://h/?tlsVerify=none")))
                .hasMessageStartingWith("tlsVerify: only a rediss:// location");
        assertThatThrownBy(() -> RedisSettings.parse(URI.create("rediss://h/?tlsVerify=none&tlsCa=" + ca)))
                .hasMessageStartingWith("tlsCa: has no use with tlsVerify=none");
        assertThatThrownBy(() -> RedisSettings.parse(URI.create("rediss://h/?tlsCa=a%00b")))
                .hasMessageStartingWith("tlsCa: 'a\u0000b' is no path");
    }
}
