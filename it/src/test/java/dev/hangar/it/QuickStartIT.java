package dev.hangar.it;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import com.fasterxml.jackson.databind.JsonNode;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.URI;
import java.nio.file.FileVisitResult;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.Path;
import java.nio.file.SimpleFileVisitor;
import java.nio.file.StandardCopyOption;
import java.nio.file.attribute.BasicFileAttributes;
import java.time.Duration;
import java.util.List;
import java.util.Set;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/**
 * The README's first command on a copy of the project's sources with nothing built, as on a machine
 * that has never seen the project: {@code ./hangar up} builds what it needs, serves the API and the
 * dashboard, and runs a job. (The second command, {@code ./hangar test}, is what runs this.)
 */
class QuickStartIT {
    /** Build output, editors' and npm's files: what a fresh clone does not have. */
    private static final Set<String> NOT_SOURCES = Set.of(".git", "target", ".build", "node_modules", ".idea");

    @TempDir
    Path dir;

    @Test
    @Timeout(value = 10, unit = TimeUnit.MINUTES) // it builds the project first
    void hangarUpBuildsTheProjectAndServesAndRunsAJob() throws Exception {
        Path copy = copySources(Path.of(System.getProperty("hangar.it.root")).toRealPath(), dir.resolve("hangar"));
        int port = Host.freePort();
        // kept after the test, unlike the copy, so that a build that hung can be read
        Path log = Files.createDirectories(Path.of(System.getProperty("hangar.it.dir", "target"), "quick-start"))
                .resolve("up.log");
        var up = new ProcessBuilder("./hangar", "up", "--port", Integer.toString(port),
                "--data-dir", dir.resolve("data").toString())
                .directory(copy.toFile())
                .redirectErrorStream(true)
                .redirectOutput(log.toFile());
        up.environment().put("JAVA_HOME", System.getProperty("java.home"));
        // why: the same local repository as the build running this test, so nothing is downloaded twice
        up.environment().put("MAVEN_ARGS", "-Dmaven.repo.local=" + System.getProperty("hangar.it.mavenRepo"));
        Process process = up.start();
        try {
            var api = new Api(URI.create("http://127.0.0.1:" + port));
            await("./hangar up builds and serves; see " + log).atMost(Duration.ofMinutes(8))
                    .pollInterval(Duration.ofSeconds(1)).until(() -> {
                        if (!process.isAlive()) {
                            throw new AssertionError("./hangar up exited with " + process.exitValue() + ":\n"
                                    + Files.readString(log));
                        }
                        return serves(api);
                    });

            assertThat(api.get("/").status()).as("the dashboard").isEqualTo(200);
            String id = api.submit(Api.spec("sh", "-c", "echo started by up")).path("id").asText();
            JsonNode job = api.awaitFinal(id);
            assertThat(Api.state(job)).as("%s", job).isEqualTo("SUCCEEDED");
            assertThat(api.stdout(id)).isEqualTo("started by up\n");

            // a launch with no UTF-8 locale (LANG unset: a container, cron), or one this host lacks (an ssh login's),
            // reads its arguments as UTF-8 all the same
            for (String lang : new String[] {null, "xx_XX.UTF-8"}) {
                var submit = new ProcessBuilder("./hangar", "run", "-d", "--json", "--url", "http://127.0.0.1:" + port,
                        "--", "echo", "h\u00e9llo").directory(copy.toFile()).redirectError(ProcessBuilder.Redirect.DISCARD);
                submit.environment().keySet().removeIf(name -> name.equals("LANG") || name.startsWith("LC_"));
                if (lang != null) {
                    submit.environment().put("LANG", lang);
                }
                submit.environment().put("JAVA_HOME", System.getProperty("java.home"));
                Process launched = submit.start();
                String submitted = new String(launched.getInputStream().readAllBytes(), java.nio.charset.StandardCharsets.UTF_8);
                assertThat(launched.waitFor()).as(submitted).isZero();
                assertThat(dev.hangar.core.json.Json.read(submitted, JsonNode.class).path("spec").path("command"))
                        .as("LANG %s", lang).extracting(JsonNode::asText).containsExactly("echo", "h\u00e9llo");
            }

            // the first thing a new user types: the help, not "Missing required subcommand" and exit 2
            var bare = new ProcessBuilder("./hangar").directory(copy.toFile()).redirectError(ProcessBuilder.Redirect.DISCARD);
            bare.environment().put("JAVA_HOME", System.getProperty("java.home"));
            Process help = bare.start();
            String helpText = new String(help.getInputStream().readAllBytes(), java.nio.charset.StandardCharsets.UTF_8);
            assertThat(help.waitFor()).as(helpText).isZero();
            assertThat(helpText).contains("Usage: hangar").contains("Launcher (./hangar) only:");

            long hostMb = dev.hangar.agent.HostMemory.totalMb();
            assertThat(api.get("/v1/nodes").json().path(0).path("capacity").path("memoryMb").asLong())
                    .as("the host's memory less the system's reserve")
                    .isEqualTo(dev.hangar.agent.SystemReserve.leftToJobsMb(hostMb));
            var whole = Api.spec("true");
            whole.putObject("resources").put("memoryMb", hostMb);
            Api.Answer refused = api.postJobs(whole);
            assertThat(refused.status()).as("%s", refused).isEqualTo(400);
            assertThat(refused.firstErrorField()).as("%s", refused).isEqualTo("resources.memoryMb");
        } finally {
            stop(process);
        }
    }

    private static boolean serves(Api api) {
        try {
            return api.get("/healthz").status() == 200;
        } catch (UncheckedIOException notYet) {
            return false;
        }
    }

    /** The launcher's build (bash, then Maven) or the node it became: each ends as on Ctrl-C. */
    private static void stop(Process process) throws InterruptedException {
        List<ProcessHandle> all = Stream.concat(process.descendants(), Stream.of(process.toHandle())).toList();
        all.forEach(ProcessHandle::destroy);
        if (!process.waitFor(60, TimeUnit.SECONDS)) {
            all.forEach(ProcessHandle::destroyForcibly);
        }
    }

    private static Path copySources(Path root, Path target) throws IOException {
        Files.walkFileTree(root, new SimpleFileVisitor<>() {
            @Override
            public FileVisitResult preVisitDirectory(Path directory, BasicFileAttributes attributes) throws IOException {
                if (NOT_SOURCES.contains(directory.getFileName().toString())) {
                    return FileVisitResult.SKIP_SUBTREE;
                }
                Files.createDirectories(target.resolve(root.relativize(directory).toString()));
                return FileVisitResult.CONTINUE;
            }

            @Override
            public FileVisitResult visitFile(Path file, BasicFileAttributes attributes) throws IOException {
                Files.copy(file, target.resolve(root.relativize(file).toString()), StandardCopyOption.COPY_ATTRIBUTES,
                        LinkOption.NOFOLLOW_LINKS);
                return FileVisitResult.CONTINUE;
            }
        });
        return target;
    }
}
