package dev.hangar.it;

import static dev.hangar.it.Api.spec;
import static dev.hangar.it.Api.state;
import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.hangar.agent.AgentConfig;
import dev.hangar.cli.EmbeddedHangar;
import dev.hangar.client.HangarClient;
import dev.hangar.core.job.JobSpec;
import dev.hangar.core.json.Json;
import dev.hangar.server.auth.ApiTokens;
import java.io.File;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.URI;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.ThreadLocalRandom;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.openqa.selenium.By;
import org.openqa.selenium.JavascriptExecutor;
import org.openqa.selenium.OutputType;
import org.openqa.selenium.TakesScreenshot;
import org.openqa.selenium.WebDriver;
import org.openqa.selenium.WebElement;
import org.openqa.selenium.chrome.ChromeDriver;
import org.openqa.selenium.chrome.ChromeDriverService;
import org.openqa.selenium.chrome.ChromeOptions;
import org.openqa.selenium.logging.LogEntry;
import org.openqa.selenium.logging.LogType;
import org.openqa.selenium.support.ui.ExpectedConditions;
import org.openqa.selenium.support.ui.WebDriverWait;

/**
 * The dashboard at {@code /} in a real headless Chromium (Debian's chromium and chromedriver;
 * nothing is downloaded): jobs change state live, a job page follows the job's output and
 * cancels it, the runtimes table shows this host's runtimes, and a page load with 10,000 jobs is
 * timed. Screenshots go to {@code it/target/screenshots/}.
 */
class DashboardIT extends OneNodeIT {
    private static final Path CHROMIUM = Path.of("/usr/bin/chromium");
    private static final Path CHROMEDRIVER = Path.of("/usr/bin/chromedriver");
    private static final Duration WAIT = Duration.ofSeconds(30);

    @TempDir
    static Path browserDir;

    static WebDriver browser;
    static Path screenshots;

    @BeforeAll
    static void startBrowser() throws IOException {
        assumeTrue(Files.isExecutable(CHROMIUM), CHROMIUM + " is missing: install the Debian package chromium (./hangar test does)");
        assumeTrue(Files.isExecutable(CHROMEDRIVER), CHROMEDRIVER + " is missing: install the Debian package chromium-driver (./hangar test does)");
        // why: with the driver and the browser named, Selenium Manager has nothing to look up or download
        System.setProperty("webdriver.chrome.driver", CHROMEDRIVER.toString());
        var options = new ChromeOptions();
        options.setBinary(CHROMIUM.toFile());
        options.addArguments("--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking",
                "--disable-component-update", "--disable-sync", "--no-first-run", "--disable-dev-shm-usage",
                "--user-data-dir=" + Files.createTempDirectory(browserDir, "chromium-profile"), "--window-size=1400,1800");
        var service = new ChromeDriverService.Builder().usingDriverExecutable(CHROMEDRIVER.toFile()).usingAnyFreePort()
                .withLogFile(new File(System.getProperty("hangar.it.dir", "target"), "chromedriver.log")).build();
        options.setCapability("goog:loggingPrefs", Map.of(LogType.BROWSER, "ALL", LogType.PERFORMANCE, "ALL"));
        // the requests the page sends, to see what their addresses carry; nothing of the page's rendering
        options.setExperimentalOption("perfLoggingPrefs", Map.of("enableNetwork", true, "enablePage", false));
        browser = new ChromeDriver(service, options);
        browser.manage().timeouts().scriptTimeout(WAIT);
        screenshots = Path.of(System.getProperty("hangar.it.dir", "target"), "screenshots");
        Files.createDirectories(screenshots);
    }

    @AfterAll
    static void stopBrowser() {
        if (browser != null) {
            browser.quit();
            browser = null;
        }
    }

    /** No script error and no failed request on the page during a test. */
    @AfterEach
    void browserConsoleIsClean() {
        if (browser == null) {
            return;
        }
        List<String> errors = browser.manage().logs().get(LogType.BROWSER).getAll().stream()
                .filter(entry -> entry.getLevel().intValue() >= java.util.logging.Level.SEVERE.intValue())
                .map(LogEntry::getMessage).toList();
        assertThat(errors).as("browser console errors").isEmpty();
    }

    @Test
    void runtimesTableListsThisHostsRuntimes() {
        open(hangar.url(), "/");
        JsonNode runtimes = api.get("/v1/runtimes").json();

        waitFor().until(ExpectedConditions.presenceOfElementLocated(By.cssSelector("#runtimes-table tr[data-runtime='process']")));

        @SuppressWarnings("unchecked")
        var shown = (List<String>) js("return [...document.querySelectorAll('#runtimes-table tbody tr')].map(row => row.dataset.runtime)");
        var expected = new ArrayList<String>();
        runtimes.forEach(runtime -> expected.add(runtime.path("name").asText()));
        assertThat(shown).as("runtimes on the page vs /v1/runtimes").containsExactlyInAnyOrderElementsOf(expected).contains("process");
        for (JsonNode runtime : runtimes) {
            WebElement row = browser.findElement(By.cssSelector("#runtimes-table tr[data-runtime='" + runtime.path("name").asText() + "']"));
            String status = row.findElement(By.cssSelector("td.status")).getText();
            if (runtime.path("probe").path("available").asBoolean()) {
                assertThat(status).as("status of %s", runtime.path("name")).contains("available").doesNotContain("unavailable");
                assertThat(row.findElement(By.cssSelector("td.measured")).getText()).as("measured start of %s", runtime.path("name"))
                        .matches("[0-9.]+ (ms|s)");
            } else {
                assertThat(status).as("status of %s", runtime.path("name"))
                        .contains("unavailable").contains(runtime.path("probe").path("reason").asText());
            }
            if (runtime.path("probe").path("apiTestedOnly").asBoolean()) {
                assertThat(status).contains("API-tested only");
            }
        }
        assertThat(browser.findElement(By.cssSelector("#runtimes-table thead")).getText()).as("the seeds' capability columns")
                .contains("Full syscalls", "virtio-fs", "Discard", "Free page reporting");
        System.out.println("dashboard runtimes: " + shown);
    }

    @Test
    void markupThatReachedThePageRunsNoScriptOfItsOwn() throws Exception {
        open(hangar.url(), "/");
        waitFor().until(ExpectedConditions.presenceOfElementLocated(By.cssSelector("#runtimes-table tr[data-runtime='process']")));

        // as a job's output or error would, were it ever put in the page as markup: its handler is refused
        js("document.body.insertAdjacentHTML('beforeend', '<img id=\"injected\" src=\"data:,\" onerror=\"window.ran = 1\">')");
        waitFor().until(driver -> Boolean.TRUE.equals(js("return document.getElementById('injected').complete")));
        Thread.sleep(200);
        assertThat(js("return window.ran === undefined")).as("the injected handler ran").isEqualTo(true);
        List<String> said = browser.manage().logs().get(LogType.BROWSER).getAll().stream().map(LogEntry::getMessage).toList();
        assertThat(said).as("the browser refused it by the server's policy")
                .anyMatch(message -> message.contains("Content Security Policy"));
    }

    @Test
    void nodesTableSaysWhetherEachNodeGivesANetworkAndShowsItsLabelsAsAJobPageShowsItsSelector() {
        open(hangar.url(), "/");
        JsonNode nodes = api.get("/v1/nodes").json();
        assertThat(nodes).as("/v1/nodes").isNotEmpty();
        for (JsonNode node : nodes) {
            By cell = By.cssSelector("#nodes tr[data-node='" + node.path("name").asText() + "'] td.network");
            String expected = node.path("networkAllowed").asBoolean() ? "allowed" : "none";
            waitFor().until(ExpectedConditions.textToBe(cell, expected));
            assertThat(node.path("labels").path("zone").asText()).as("/v1/nodes").isEqualTo("it");
            assertThat(browser.findElement(By.cssSelector("#nodes tr[data-node='" + node.path("name").asText()
                    + "'] td.labels")).getText()).isEqualTo("zone=it");
        }
        ObjectNode spec = spec("true");
        spec.putObject("nodeSelector").put("zone", "it");
        String id = api.submit(spec).path("id").asText();
        open(hangar.url(), "/#/jobs/" + id);
        waitFor().until(ExpectedConditions.textToBe(By.cssSelector("#job-spec .node-selector"), "zone=it"));
    }

    @Test
    void jobChangesStateLiveShowsItsOutputAndIsCancelledFromItsPage() {
        open(hangar.url(), "/");
        waitFor().until(driver -> !driver.findElements(By.cssSelector("#jobs .filters")).isEmpty()
                && driver.findElements(By.xpath("//*[contains(text(),'Loading jobs')]")).isEmpty());
        js("window.hangarNoReload = 'still the same page'");

        // sleep takes a fractional time; the random fraction marks this job's processes on the host
        String marker = "300." + ThreadLocalRandom.current().nextInt(100_000_000, 999_999_999);
        ObjectNode spec = spec("sh", "-c", "echo dashboard-line-" + marker + "; echo dashboard-err >&2; exec sleep " + marker);
        spec.put("name", "dashboard-it");
        String id = api.submit(spec).path("id").asText();
        By row = By.cssSelector("#jobs-table tr[data-job-id='" + id + "']");

        waitFor().until(ExpectedConditions.presenceOfElementLocated(row));
        waitFor().until(ExpectedConditions.attributeToBe(row, "data-state", "RUNNING"));
        // the node that runs it, as the API names it
        assertThat(browser.findElement(row).findElement(By.cssSelector("td.node")).getText())
                .isEqualTo(api.job(id).path("node").asText()).isNotBlank();
        assertThat(js("return window.hangarNoReload")).as("the list updated without a page load").isEqualTo("still the same page");
        System.out.println("dashboard connection: " + browser.findElement(By.id("connection")).getAttribute("data-state"));
        screenshot("dashboard.png");

        browser.findElement(row).findElement(By.cssSelector("a")).click();
        waitFor().until(ExpectedConditions.textToBePresentInElementLocated(By.id("job-logs"), "dashboard-line-" + marker));
        assertThat(state(api.job(id))).as("the line arrives while the job runs").isEqualTo("RUNNING");
        waitFor().until(ExpectedConditions.textToBePresentInElementLocated(By.cssSelector("#job-logs .stderr"), "dashboard-err"));
        assertThat(browser.findElement(By.id("job-state")).getAttribute("data-state")).isEqualTo("RUNNING");
        assertThat(browser.findElement(By.id("job-selection")).getText()).contains("process");
        await("the job's sleep on the host").atMost(WAIT).until(() -> !Host.processesWith(marker).isEmpty());
        screenshot("job-running.png");
        assertThat(browser.findElements(By.id("rerun-job"))).as("no Run again on a job that has not ended").isEmpty();

        browser.findElement(By.id("cancel-job")).click();

        JsonNode job = api.awaitFinal(id);
        assertThat(state(job)).as("%s", job).isEqualTo("CANCELLED");
        waitFor().until(ExpectedConditions.attributeToBe(By.id("job-state"), "data-state", "CANCELLED"));
        assertThat(browser.findElements(By.id("cancel-job"))).as("no Cancel on a final job").isEmpty();
        await("no host process left with " + marker).atMost(Duration.ofSeconds(10))
                .until(() -> Host.processesWith(marker), List::isEmpty);
        assertThat(js("return window.hangarNoReload")).isEqualTo("still the same page");
        screenshot("job-cancelled.png");
    }

    @Test
    void aRetriedJobsOutputIsMarkedByAttempt() {
        ObjectNode spec = spec("sh", "-c", "echo dashboard-try; exit 1");
        spec.putObject("retry").put("maxAttempts", 2).put("backoffSeconds", 0);
        spec.put("idempotencyKey", "dashboard-try-" + System.nanoTime());
        String id = api.submit(spec).path("id").asText();
        assertThat(state(api.awaitFinal(id))).isEqualTo("DEAD");

        open(hangar.url(), "/#/jobs/" + id);

        waitFor().until(ExpectedConditions.attributeToBe(By.id("job-state"), "data-state", "DEAD"));
        waitFor().until(ExpectedConditions.textToBePresentInElementLocated(By.cssSelector("#job-logs .attempt"), "attempt 2"));
        assertThat(browser.findElement(By.id("job-logs")).getText().strip())
                .isEqualTo("dashboard-try\n── attempt 2 ──\ndashboard-try");

        // its spec again, as a new job whose page is shown; the dead letter stays as it ended
        js("window.hangarNoReload = 'still the same page'");
        browser.findElement(By.id("rerun-job")).click();
        waitFor().until(driver -> !js("return location.hash").equals("#/jobs/" + id));
        String again = java.net.URLDecoder.decode(js("return location.hash").toString().substring("#/jobs/".length()),
                java.nio.charset.StandardCharsets.UTF_8);
        waitFor().until(ExpectedConditions.textToBePresentInElementLocated(By.cssSelector(".job-page p.mono"), again));
        waitFor().until(ExpectedConditions.attributeToBe(By.id("job-state"), "data-state", "DEAD"));
        JsonNode rerun = api.awaitFinal(again);
        assertThat(rerun.path("spec").path("command")).isEqualTo(spec.path("command"));
        assertThat(rerun.path("spec").path("idempotencyKey").asText()).as("not the job's own, which names the job itself")
                .startsWith("rerun-" + id + "-");
        assertThat(rerun.path("spec").path("retry").path("maxAttempts").asInt()).isEqualTo(2);
        assertThat(state(api.awaitFinal(id))).isEqualTo("DEAD");
        assertThat(js("return window.hangarNoReload")).isEqualTo("still the same page");
    }

    @Test
    void longOutputIsCutSayingSoAnEndCutShortIsShownAndABrokenAddressIsNoBlankPage() {
        // 2.2 M characters on stdout alone, then a character cut short by the end of the output
        String id = api.submit(spec("sh", "-c", "head -c 2200000 /dev/zero | tr '\\0' a; printf 'trailing \\342\\202'"))
                .path("id").asText();
        assertThat(state(api.awaitFinal(id))).isEqualTo("SUCCEEDED");

        open(hangar.url(), "/#/jobs/" + id);
        waitFor().until(ExpectedConditions.textToBePresentInElementLocated(By.id("log-status"), "end of output"));
        assertThat(browser.findElement(By.id("log-trimmed")).getText()).contains("earlier output is left out here");
        assertThat(number(js("return document.getElementById('job-logs').textContent.length")))
                .as("the characters kept on the page").isEqualTo(2 * 1024 * 1024);
        assertThat(js("return document.getElementById('job-logs').textContent.slice(-10)")).isEqualTo("trailing \uFFFD");
        assertThat(js("return performance.getEntriesByType('resource').map((e) => e.name).find((n) => n.includes('/logs?'))"))
                .as("the output's tail read, not the whole of it").asString().contains("tail=" + 2 * 1024 * 1024);

        browser.get(hangar.url().resolve("/") + "#/jobs/%E0%A4%A"); // not through URI, which refuses it too
        waitFor().until(ExpectedConditions.textToBePresentInElementLocated(By.cssSelector("main .error"), "404"));
        assertThat(browser.findElement(By.cssSelector("main .error")).getText()).startsWith("Job %E0%A4%A: 404");
        // read here, so the check after each test sees none: the one error is the 404 the page expects
        assertThat(browser.manage().logs().get(LogType.BROWSER).getAll()).extracting(LogEntry::getMessage)
                .singleElement().asString().contains("/v1/jobs/%25E0%25A4%25A", "404");
    }

    /**
     * A browser opens six connections to one server, and a shown job page holds two (events and its
     * log): four job tabs held all six, and a fifth tab did not even load. Hidden tabs let theirs go.
     */
    @Test
    void manyOpenJobTabsLeaveTheBrowsersConnectionsToTheTabShown() {
        String first = browser.getWindowHandle();
        List<String> ids = new ArrayList<>();
        List<String> markers = new ArrayList<>();
        try {
            for (int i = 0; i < 4; i++) {
                String marker = "300." + ThreadLocalRandom.current().nextInt(100_000_000, 999_999_999);
                markers.add(marker);
                ids.add(api.submit(spec("sh", "-c", "echo tab-" + marker + "; exec sleep " + marker)).path("id").asText());
            }
            for (String id : ids) {
                browser.switchTo().newWindow(org.openqa.selenium.WindowType.TAB);
                open(hangar.url(), "/#/jobs/" + id);
                waitFor().until(ExpectedConditions.attributeToBe(By.id("job-state"), "data-state", "RUNNING"));
                waitFor().until(ExpectedConditions.textToBePresentInElementLocated(By.id("job-logs"), "tab-"));
            }
            browser.switchTo().newWindow(org.openqa.selenium.WindowType.TAB);
            open(hangar.url(), "/#/jobs/" + ids.getFirst());
            waitFor().until(ExpectedConditions.attributeToBe(By.id("job-state"), "data-state", "RUNNING"));
            browser.findElement(By.id("cancel-job")).click();
            waitFor().until(ExpectedConditions.attributeToBe(By.id("job-state"), "data-state", "CANCELLED"));
        } finally {
            for (String handle : browser.getWindowHandles()) {
                if (!handle.equals(first)) {
                    browser.switchTo().window(handle).close();
                }
            }
            browser.switchTo().window(first);
            ids.forEach(id -> api.delete("/v1/jobs/" + id));
        }
        assertThat(state(api.awaitFinal(ids.getFirst()))).isEqualTo("CANCELLED");
        for (String marker : markers) {
            await("no host process left with " + marker).atMost(Duration.ofSeconds(10))
                    .until(() -> Host.processesWith(marker), List::isEmpty);
        }
    }

    @Test
    void thePoolsCardShowsThePoolsAsTheServerHasThemAndNoneOnceRemoved() {
        assumeTrue(hangar.agent().pools().pooledRuntimes().contains("process"),
                "the process runtime cannot start sandboxes ahead of a job on this host: " + hangar.agent().runtimes());
        String name = "dash-" + ThreadLocalRandom.current().nextInt(1_000_000);
        By row = By.cssSelector("#pools tr[data-pool='" + name + "']");
        Api.Answer put = api.send("PUT", "/v1/pools/" + name, java.net.http.HttpRequest.BodyPublishers.ofString(
                "{\"runtime\": \"process\", \"cpus\": 1, \"memoryMb\": 128, \"min\": 1, \"max\": 1}"), "application/json");
        assertThat(put.status()).as("%s", put).isEqualTo(201);
        try {
            open(hangar.url(), "/");
            waitFor().until(ExpectedConditions.textToBe(By.cssSelector("#pools tr[data-pool='" + name + "'] td.ready"), "1"));
            assertThat(browser.findElement(row).getText()).contains("process").contains(name);
        } finally {
            assertThat(api.delete("/v1/pools/" + name).status()).isEqualTo(200);
        }

        open(hangar.url(), "/");
        waitFor().until(driver -> !driver.findElement(By.id("pools")).getText().contains("Loading"));
        assertThat(browser.findElements(row)).as("the removed pool").isEmpty();
    }

    /** A warm start and a cold one of the same runtime are told apart: in the runtimes table, the histogram and the job's page. */
    @Test
    void warmAndColdStartsAreShownApart() {
        assumeTrue(hangar.agent().pools().pooledRuntimes().contains("process"),
                "the process runtime cannot start sandboxes ahead of a job on this host: " + hangar.agent().runtimes());
        String name = "dash-warm-" + ThreadLocalRandom.current().nextInt(1_000_000);
        Api.Answer put = api.send("PUT", "/v1/pools/" + name, java.net.http.HttpRequest.BodyPublishers.ofString(
                "{\"runtime\": \"process\", \"cpus\": 1, \"memoryMb\": 96, \"min\": 1, \"max\": 1}"), "application/json");
        assertThat(put.status()).as("%s", put).isEqualTo(201);
        String warm;
        try {
            await("pool " + name + " READY").atMost(WAIT).until(() -> api.get("/v1/pools/" + name).json(),
                    pool -> pool.path("ready").asInt() == 1);
            warm = api.awaitFinal(api.submit(processJob(96)).path("id").asText()).path("id").asText();
        } finally {
            assertThat(api.delete("/v1/pools/" + name).status()).isEqualTo(200);
        }
        String cold = api.submit(processJob(96)).path("id").asText();
        assertThat(api.awaitFinal(warm).path("timings").path("path").asText()).isEqualTo("warm");
        assertThat(api.awaitFinal(cold).path("timings").path("path").asText()).isEqualTo("cold");

        open(hangar.url(), "/");
        waitFor().until(ExpectedConditions.presenceOfElementLocated(By.cssSelector("#latency figure[data-runtime='process'][data-path='warm']")));
        waitFor().until(ExpectedConditions.presenceOfElementLocated(By.cssSelector("#latency figure[data-runtime='process'][data-path='cold']")));
        assertThat(browser.findElement(By.cssSelector("#latency figure[data-runtime='process'][data-path='warm'] figcaption")).getText())
                .startsWith("process · warm").contains("n=");
        // the median time of the loaded jobs' warm starts, not a count of READY sandboxes
        waitFor().until(ExpectedConditions.textMatches(By.cssSelector("#runtimes-table tr[data-runtime='process'] td.warm-start"),
                java.util.regex.Pattern.compile("[0-9.]+ (ms|s)")));
        screenshot("dashboard-warm-cold.png");

        open(hangar.url(), "/#/jobs/" + warm);
        waitFor().until(ExpectedConditions.textToBePresentInElementLocated(By.id("job-start-path"), "warm: taken READY from a pool"));
        open(hangar.url(), "/#/jobs/" + cold);
        waitFor().until(ExpectedConditions.textToBePresentInElementLocated(By.id("job-start-path"), "cold: made for the job"));
    }

    private static ObjectNode processJob(int memoryMb) {
        ObjectNode spec = spec("true");
        spec.put("runtime", "process").putObject("resources").put("cpus", 1).put("memoryMb", memoryMb);
        return spec;
    }

    /** A page open asks the server for each thing once: its event stream opening does not load all again. */
    @Test
    void aPageOpenLoadsEachThingOnce() {
        // an earlier test's job still ending would send events, which may ask for the first page again
        await("no unfinished job").atMost(WAIT).until(() -> api.get("/v1/jobs?state=QUEUED,SCHEDULED,STARTING,RUNNING").json()
                .path("jobs").isEmpty());
        browser.get("about:blank");
        requests(); // those of earlier pages, left out
        open(hangar.url(), "/");
        waitFor().until(ExpectedConditions.attributeToBe(By.id("connection"), "data-state", "live"));
        waitFor().until(driver -> !driver.findElements(By.cssSelector("#jobs .filters")).isEmpty()
                && driver.findElements(By.xpath("//*[contains(text(),'Loading jobs')]")).isEmpty());
        // the loads a late stream would start again come a moment after it opens
        await().pollDelay(Duration.ofMillis(1500)).until(() -> true);
        // a stream that opened later than the page waits for it loads once more, as it must, and no more than that
        Object firstLoadBy = js("return (async () => (await import('/store.js')).state.firstLoadBy)()");
        assertThat(firstLoadBy).as("what started the first load").isIn("stream open", "stream late");
        int most = "stream late".equals(firstLoadBy) ? 2 : 1;

        var asked = new java.util.TreeMap<String, Integer>();
        for (String url : requestedAddresses()) {
            URI uri = URI.create(url);
            if (uri.getPort() == hangar.url().getPort() && (uri.getPath().startsWith("/v1/") || uri.getPath().equals("/healthz"))) {
                asked.merge(uri.getPath() + (uri.getPath().equals("/v1/jobs") ? "?" + uri.getQuery() : ""), 1, Integer::sum);
            }
        }
        System.out.println("dashboard page open asked: " + asked);
        assertThat(asked).as("what the page asked for").containsKeys("/v1/runtimes", "/v1/nodes", "/v1/pools", "/v1/events");
        // a job event in between may ask /healthz again, never those
        assertThat(asked.get("/v1/events")).as("times the event stream was asked").isEqualTo(1);
        for (String path : List.of("/v1/runtimes", "/v1/nodes", "/v1/pools")) {
            assertThat(asked.get(path)).as("times %s was asked, the first load by %s", path, firstLoadBy).isBetween(1, most);
        }
        asked.forEach((path, times) -> {
            if (path.startsWith("/v1/jobs?")) {
                assertThat(times).as("times %s was asked, the first load by %s", path, firstLoadBy).isBetween(1, most);
            }
        });
    }

    /**
     * Of a cluster's nodes, the page shows what each one's heartbeat says it runs when the tab does
     * not follow every running job, and a node lost a minute ago leaves the page at the next refresh
     * of the nodes. The page's store is given such node events, as a cluster's server sends them.
     */
    @Test
    void aClustersNodesShowTheirHeartbeatsLoadAndLostOnesLeave() {
        // polling, whose nodes refresh comes every 30 s only, not within the test
        open(hangar.url(), "/?events=off");
        waitFor().until(ExpectedConditions.presenceOfElementLocated(By.cssSelector("#nodes tr[data-node]")));
        String local = api.get("/v1/nodes").json().path(0).path("name").asText();
        ((JavascriptExecutor) browser).executeAsyncScript("""
                const done = arguments[arguments.length - 1];
                import('/store.js').then(({ state, onNode }) => {
                  const node = (name, state) => ({ name, state, capacity: { cpus: 2, memoryMb: 1024, gpus: 0 },
                    runtimes: ['process'], load: { runningJobs: 7, freeCpus: 1, freeMemoryMb: 512, freeGpus: 0 } });
                  // pinned: the polling's active load would set it again, each 3 s
                  Object.defineProperty(state, 'activeComplete', { get: () => false, set: () => {}, configurable: true });
                  onNode(node('far-node', 'JOINED'));
                  onNode(node('lost-long-ago', 'LOST'));
                  state.nodes.get('lost-long-ago').eventAt -= 61_000; // as if its event came a minute ago
                  onNode(node('lost-just-now', 'LOST'));
                  done();
                });
                """);
        waitFor().until(ExpectedConditions.textToBe(By.cssSelector("#nodes tr[data-node='far-node'] td.load"), "7"));
        assertThat(browser.findElement(By.cssSelector("#nodes tr[data-node='lost-just-now'] td.load")).getText())
                .as("a lost node's jobs go back to the queue: not its last heartbeat's count").isEqualTo("0");
        assertThat(browser.findElements(By.cssSelector("#nodes tr[data-node='lost-long-ago']"))).hasSize(1);

        // this node lost a moment ago, by an event, but listed again: it rejoined, the event saying so missed
        ((JavascriptExecutor) browser).executeAsyncScript("""
                const done = arguments[arguments.length - 1];
                const local = arguments[0];
                import('/store.js').then(({ state, onNode, loadNodes }) => {
                  onNode({ ...state.nodes.get(local), state: 'LOST' });
                  state.nodes.get(local).eventAt -= 5_000;
                  return loadNodes();
                }).then(() => done());
                """, local);
        waitFor().until(ExpectedConditions.numberOfElementsToBe(By.cssSelector("#nodes tr[data-node='lost-long-ago']"), 0));
        assertThat(browser.findElements(By.cssSelector("#nodes tr[data-node='far-node']"))).as("not listed by the server").isEmpty();
        assertThat(browser.findElement(By.cssSelector("#nodes tr[data-node='lost-just-now']")).getText()).contains("lost");
        assertThat(browser.findElement(By.cssSelector("#nodes tr[data-node='" + local + "']")).getText())
                .as("listed again: joined").doesNotContain("lost");
    }

    /**
     * A queued job that no node that is up can run says so in the jobs table, as the list gives it
     * and as its events do, one of a job submitted while the page is open too; an event without it
     * (the job taken, or a node up that can run it) clears it. This test's one node runs all it
     * takes: the rows are given to the page's store as a load would, the events as the stream would.
     */
    @Test
    void aQueuedJobNoNodeUpCanRunSaysSoInTheJobsTable() {
        open(hangar.url(), "/?events=off");
        waitFor().until(ExpectedConditions.presenceOfElementLocated(By.cssSelector("#nodes tr[data-node]")));
        ((JavascriptExecutor) browser).executeAsyncScript("""
                const done = arguments[arguments.length - 1];
                import('/store.js').then(({ state, changed }) => {
                  const queued = (id, waiting) => ({ id, state: 'QUEUED', spec: { command: ['true'] }, waiting,
                    timings: { submittedAt: new Date().toISOString() } });
                  // pinned against the polling's loads of this server's jobs, each 3 s; an event's change is kept
                  let rows = [queued('j-stranded', 'no node that is up can run it: gpus: none (test)'), queued('j-runnable')];
                  Object.defineProperty(state.list, 'rows', { get: () => rows, configurable: true,
                    set: (next) => { if (next.some((row) => row.id === 'j-stranded')) rows = next; } });
                  state.list.loaded = true;
                  changed();
                  done();
                });
                """);
        By stranded = By.cssSelector("#jobs-table tr[data-job-id='j-stranded'] .job-waits");
        waitFor().until(ExpectedConditions.presenceOfElementLocated(stranded));
        assertThat(browser.findElement(stranded).getText()).isEqualTo("no node takes it");
        assertThat(browser.findElement(stranded).getAttribute("title")).isEqualTo("no node that is up can run it: gpus: none (test)");
        assertThat(browser.findElements(By.cssSelector("#jobs-table tr[data-job-id='j-runnable'] .job-waits"))).isEmpty();

        // an event's job is as GET /v1/jobs/{id} answers: `waiting` while no node up can run it
        String event = """
                const done = arguments[arguments.length - 1];
                import('/store.js').then(({ onJob }) => {
                  const job = { id: arguments[0], state: arguments[1], spec: { command: ['echo', arguments[1]] }, attempt: 1,
                    timings: { submittedAt: new Date().toISOString() } };
                  onJob(arguments[2] == null ? job : { ...job, waiting: arguments[2] });
                  done();
                });
                """;
        ((JavascriptExecutor) browser).executeAsyncScript(event, "j-stranded", "QUEUED", "no node that is up can run it (event)");
        waitFor().until(ExpectedConditions.textToBe(By.cssSelector("#jobs-table tr[data-job-id='j-stranded'] td.cmd"), "echo QUEUED"));
        assertThat(browser.findElement(stranded).getAttribute("title")).isEqualTo("no node that is up can run it (event)");
        // a job submitted while the page is open: it showed why it waits only once the jobs were loaded again
        By fresh = By.cssSelector("#jobs-table tr[data-job-id='j-fresh'] .job-waits");
        ((JavascriptExecutor) browser).executeAsyncScript(event, "j-fresh", "QUEUED", "no node that is up can run it (new)");
        waitFor().until(ExpectedConditions.presenceOfElementLocated(fresh));
        assertThat(browser.findElement(fresh).getAttribute("title")).isEqualTo("no node that is up can run it (new)");
        ((JavascriptExecutor) browser).executeAsyncScript(event, "j-stranded", "SCHEDULED", null);
        waitFor().until(ExpectedConditions.attributeToBe(By.cssSelector("#jobs-table tr[data-job-id='j-stranded']"), "data-state", "SCHEDULED"));
        assertThat(browser.findElements(stranded)).as("taken by a node: no reason to wait").isEmpty();
        ((JavascriptExecutor) browser).executeAsyncScript(event, "j-fresh", "QUEUED", null);
        waitFor().until(ExpectedConditions.invisibilityOfElementLocated(fresh));
    }

    /** The header's counts move with a job's change once, whether the REST answer of a cancel or its event comes first. */
    @Test
    void aCancelsAnswerAndThenItsEventCountTheJobOnce() {
        open(hangar.url(), "/?events=off");
        waitFor().until(ExpectedConditions.presenceOfElementLocated(By.cssSelector("#nodes table")));
        Object counts = ((JavascriptExecutor) browser).executeAsyncScript("""
                const done = arguments[arguments.length - 1];
                import('/store.js').then(({ onJob, state }) => {
                  state.health = { ...(state.health || {}), jobs: { QUEUED: 5, CANCELLED: 0 } };
                  const job = (s) => ({ id: 'j-counted', state: s, attempt: 1, spec: { command: ['true'] },
                    timings: { submittedAt: new Date().toISOString() } });
                  onJob(job('QUEUED')); // its event, seen queued
                  onJob(job('CANCELLED'), false); // the DELETE's answer
                  onJob(job('CANCELLED')); // then the cancel's event
                  done(JSON.stringify(state.health.jobs));
                });
                """);
        assertThat(counts).isEqualTo("{\"QUEUED\":4,\"CANCELLED\":1}");
    }

    /** A node asked to drain shows so in the nodes table, from its node events: draining, then drained, then joined again. */
    @Test
    void aNodeAskedToDrainShowsDrainingThenDrained() {
        open(hangar.url(), "/?events=off");
        waitFor().until(ExpectedConditions.presenceOfElementLocated(By.cssSelector("#nodes table")));
        String event = """
                const done = arguments[arguments.length - 1];
                import('/store.js').then(({ onNode }) => {
                  onNode({ name: 'n-drain', state: 'JOINED', capacity: { cpus: 4, memoryMb: 1024, gpus: 0 },
                    runtimes: ['process'], load: { runningJobs: arguments[0] === 'DRAINED' ? 0 : 1 }, drain: arguments[0] });
                  done();
                });
                """;
        By pill = By.cssSelector("#nodes tr[data-node='n-drain'] .pill");
        ((JavascriptExecutor) browser).executeAsyncScript(event, "ASKED");
        waitFor().until(ExpectedConditions.textToBe(pill, "draining"));
        assertThat(browser.findElement(pill).getAttribute("class")).contains("node-draining");
        assertThat(browser.findElement(pill).getAttribute("title")).contains("has not yet seen the ask");
        ((JavascriptExecutor) browser).executeAsyncScript(event, "DRAINED");
        waitFor().until(ExpectedConditions.textToBe(pill, "drained"));
        ((JavascriptExecutor) browser).executeAsyncScript(event, (Object) null);
        waitFor().until(ExpectedConditions.textToBe(pill, "joined"));
    }

    /**
     * A node's name, in the nodes table or a job's row, shows that node's jobs alone: the list asks the
     * server for them, a job of another node that an event brings is left out, and the filter is taken
     * off with its chip.
     */
    @Test
    void aNodesNameShowsItsJobsAlone() {
        String id = api.submit(spec("echo", "on-this-node")).path("id").asText();
        assertThat(state(api.awaitFinal(id))).isEqualTo("SUCCEEDED");
        String local = api.job(id).path("node").asText();
        open(hangar.url(), "/");
        By row = By.cssSelector("#jobs-table tr[data-job-id='" + id + "']");
        waitFor().until(ExpectedConditions.presenceOfElementLocated(row));
        requests(); // read: those of the page's load are not this filter's

        browser.findElement(By.cssSelector("#nodes tr[data-node='" + local + "'] a.node-link")).click();

        waitFor().until(ExpectedConditions.textToBe(By.id("node-filter"), "node " + local + " ×"));
        waitFor().until(ExpectedConditions.presenceOfElementLocated(row));
        assertThat(requestedAddresses()).as("the list asked the server for this node's jobs")
                .anyMatch(url -> url.contains("/v1/jobs?") && url.contains("node=" + local));
        ((JavascriptExecutor) browser).executeAsyncScript("""
                const done = arguments[arguments.length - 1];
                import('/store.js').then(({ onJob }) => {
                  const job = (id, node) => ({ id, node, state: 'RUNNING', spec: { command: ['true'] }, attempt: 1,
                    timings: { submittedAt: new Date().toISOString() } });
                  onJob(job('j-far', 'far-node'));
                  onJob(job('j-near', arguments[0]));
                  done();
                });
                """, local);
        waitFor().until(ExpectedConditions.presenceOfElementLocated(By.cssSelector("#jobs-table tr[data-job-id='j-near']")));
        assertThat(browser.findElements(By.cssSelector("#jobs-table tr[data-job-id='j-far']"))).as("another node's job").isEmpty();
        assertThat(browser.findElements(By.cssSelector("#jobs-table td.node"))).extracting(WebElement::getText).containsOnly(local);

        browser.findElement(By.id("node-filter")).click();
        waitFor().until(ExpectedConditions.numberOfElementsToBe(By.id("node-filter"), 0));
        waitFor().until(ExpectedConditions.presenceOfElementLocated(row));
    }

    /** A cluster's node is drained from its row and resumed; one-JVM mode's node, which cannot be, has no button. */
    @Test
    void aClusterNodeIsDrainedAndResumedFromItsRow(@TempDir Path dir) throws Exception {
        open(hangar.url(), "/");
        waitFor().until(ExpectedConditions.presenceOfElementLocated(By.cssSelector("#nodes tr[data-node='node']")));
        assertThat(browser.findElements(By.cssSelector("#nodes td.drain"))).as("one-JVM mode's node: no drain column").isEmpty();

        try (ItRedis redis = ItRedis.start(ItRedis.Kind.SERVER);
                var clustered = EmbeddedHangar.start(redis.uri(), Files.createDirectories(dir.resolve("data")),
                        dir.resolve("images"), "127.0.0.1", 0,
                        AgentConfig.forThisHost("drainable").withRuntimes(Set.of("process")), Optional.empty())) {
            var nodes = new HangarClient(clustered.url());
            open(clustered.url(), "/");
            By button = By.cssSelector("#nodes tr[data-node='drainable'] td.drain button");
            By pill = By.cssSelector("#nodes tr[data-node='drainable'] .pill");
            waitFor().until(ExpectedConditions.textToBe(button, "Drain"));

            browser.findElement(button).click();

            waitFor().until(ExpectedConditions.textToBe(button, "Resume"));
            waitFor().until(ExpectedConditions.textToBe(pill, "drained")); // once its heartbeat has seen the ask
            By askError = By.cssSelector("#nodes tr[data-node='drainable'] td.drain .error");
            assertThat(browser.findElements(askError)).as("an ask that worked shows no error").isEmpty();
            assertThat(nodes.nodes()).singleElement().extracting(dev.hangar.core.cluster.NodeInfo::drain)
                    .isEqualTo(dev.hangar.core.cluster.NodeInfo.Drain.DRAINED);

            browser.findElement(button).click();

            waitFor().until(ExpectedConditions.textToBe(button, "Drain"));
            waitFor().until(ExpectedConditions.textToBe(pill, "joined"));
            assertThat(browser.findElements(askError)).isEmpty();
            assertThat(nodes.nodes()).singleElement().extracting(dev.hangar.core.cluster.NodeInfo::drain).isNull();

            // relabelled from its row: the whole set, taken at its next heartbeat; a refusal shown beside; its own again
            By labelsCell = By.cssSelector("#nodes tr[data-node='drainable'] td.labels");
            By edit = By.cssSelector("#nodes tr[data-node='drainable'] td.labels button.edit-labels");
            By input = By.cssSelector("#nodes tr[data-node='drainable'] td.labels input");
            By set = By.cssSelector("#nodes tr[data-node='drainable'] td.labels button.set-labels");
            browser.findElement(edit).click();
            browser.findElement(input).sendKeys("zone=r2, rack=7");
            browser.findElement(set).click();
            waitFor().until(ExpectedConditions.textToBePresentInElementLocated(labelsCell, "rack=7, zone=r2"));
            assertThat(nodes.nodes()).singleElement().extracting(dev.hangar.core.cluster.NodeInfo::labels)
                    .isEqualTo(Map.of("zone", "r2", "rack", "7"));
            browser.findElement(edit).click();
            assertThat(browser.findElement(input).getAttribute("value")).as("what it has, to change").isEqualTo("rack=7, zone=r2");
            browser.findElement(input).sendKeys(" zone");
            browser.findElement(set).click();
            waitFor().until(ExpectedConditions.textToBePresentInElementLocated(labelsCell, "labels: 'zone' is not KEY=VALUE"));
            browser.findElement(input).sendKeys(org.openqa.selenium.Keys.chord(org.openqa.selenium.Keys.CONTROL, "a"),
                    org.openqa.selenium.Keys.BACK_SPACE);
            browser.findElement(set).click();
            waitFor().until(ExpectedConditions.textToBePresentInElementLocated(labelsCell, "give at least one KEY=VALUE"));
            assertThat(nodes.labelAsks()).as("the ask as it was").singleElement()
                    .extracting(dev.hangar.core.cluster.LabelAsk::labels).isEqualTo(Map.of("zone", "r2", "rack", "7"));
            // typed over, as a user does: clear() fires no input event, and the next render would put the old text back
            browser.findElement(input).sendKeys(org.openqa.selenium.Keys.chord(org.openqa.selenium.Keys.CONTROL, "a"), "zone=r_2_");
            browser.findElement(set).click();
            waitFor().until(ExpectedConditions.textToBePresentInElementLocated(labelsCell, "400 labels.zone:"));
            // read here, so the check after each test sees none: the one error is the 400 the page expects
            assertThat(browser.manage().logs().get(LogType.BROWSER).getAll()).extracting(LogEntry::getMessage)
                    .singleElement().asString().contains("/v1/nodes/drainable/labels", "400");
            browser.findElement(By.cssSelector("#nodes tr[data-node='drainable'] td.labels button.own-labels")).click();
            waitFor().until(ExpectedConditions.textToBe(By.cssSelector("#nodes tr[data-node='drainable'] td.labels .mono"), "—"));
            assertThat(nodes.nodes()).singleElement().extracting(dev.hangar.core.cluster.NodeInfo::labels).isEqualTo(Map.of());
            assertThat(nodes.labelAsks()).isEmpty();

            // a node gone since the page heard of it (its LOST event not come yet): the server's refusal is
            // shown beside Drain, and a Resume that finds no node up shows it lost
            String gone = """
                    const done = arguments[arguments.length - 1];
                    import('/store.js').then(({ state, changed }) => {
                      // heard of "later" than any reading of /v1/nodes, which would drop it: it stays until a call's answer
                      state.nodes.set('gone', { name: 'gone', state: 'JOINED', capacity: { cpus: 4, memoryMb: 1024, gpus: 0 },
                        runtimes: ['process'], load: { runningJobs: 0 }, heartbeatAt: new Date().toISOString(),
                        drain: arguments[0], eventAt: Date.now() + 3_600_000 });
                      changed();
                      done();
                    });
                    """;
            By goneButton = By.cssSelector("#nodes tr[data-node='gone'] td.drain button");
            ((JavascriptExecutor) browser).executeAsyncScript(gone, (Object) null);
            waitFor().until(ExpectedConditions.textToBe(goneButton, "Drain"));
            browser.findElement(goneButton).click();
            waitFor().until(ExpectedConditions.textToBePresentInElementLocated(
                    By.cssSelector("#nodes tr[data-node='gone'] td.drain"), "no node named 'gone' is up"));
            // read here, so the check after each test sees none: the one error is the 404 the page expects
            assertThat(browser.manage().logs().get(LogType.BROWSER).getAll()).extracting(LogEntry::getMessage)
                    .singleElement().asString().contains("/v1/nodes/gone/drain", "404");
            ((JavascriptExecutor) browser).executeAsyncScript(gone, "DRAINED");
            waitFor().until(ExpectedConditions.textToBe(goneButton, "Resume"));
            browser.findElement(By.cssSelector("#nodes tr[data-node='gone'] td.labels button.edit-labels")).click();
            By goneLabels = By.cssSelector("#nodes tr[data-node='gone'] td.labels input");
            assertThat(browser.findElements(goneLabels)).as("its labels being edited").hasSize(1);
            browser.findElement(goneButton).click();
            waitFor().until(ExpectedConditions.textToBe(By.cssSelector("#nodes tr[data-node='gone'] .pill"), "lost"));
            assertThat(browser.findElements(goneButton)).as("a lost node has nothing to drain").isEmpty();
            assertThat(browser.findElements(goneLabels)).as("nor labels to set").isEmpty();
            browser.get("about:blank");
        }
    }

    /**
     * A node asked to drain, or given labels in place of its own, that is not up (stopped for its maintenance)
     * is named above the nodes: it comes back drained, or with those labels.
     */
    @Test
    void nodesAskedToDrainOrGivenLabelsThatAreNotUpAreNamed() {
        open(hangar.url(), "/?events=off");
        waitFor().until(ExpectedConditions.presenceOfElementLocated(By.cssSelector("#nodes table")));
        assertThat(browser.findElements(By.id("drain-asks"))).as("this server's one node has no ask").isEmpty();
        assertThat(browser.findElements(By.id("label-asks"))).isEmpty();
        ((JavascriptExecutor) browser).executeAsyncScript("""
                const done = arguments[arguments.length - 1];
                // the lists as a cluster's server answers them, for this load and every later one of the page
                const asks = {
                  '/v1/nodes/drains': [{ node: 'gpu-07', askedAt: '2026-12-01T10:00:00Z', up: false },
                    { node: 'gpu-08', askedAt: '2026-12-01T11:00:00Z', up: true }],
                  '/v1/nodes/labels': [{ node: 'gpu-09', labels: { zone: 'r2', rack: '7' }, up: false },
                    { node: 'gpu-08', labels: { zone: 'r1' }, up: true }],
                };
                const real = window.fetch;
                window.fetch = (path, init) => asks[path]
                  ? Promise.resolve(new Response(JSON.stringify(asks[path]), { headers: { 'Content-Type': 'application/json' } }))
                  : real(path, init);
                import('/store.js').then(({ loadNodes }) => loadNodes()).then(() => done());
                """);
        waitFor().until(ExpectedConditions.presenceOfElementLocated(By.id("drain-asks")));
        String said = browser.findElement(By.id("drain-asks")).getText();
        assertThat(said).startsWith("Asked to drain, not up: gpu-07 (since ").contains("comes back drained")
                .doesNotContain("gpu-08");
        assertThat(browser.findElement(By.id("label-asks")).getText())
                .isEqualTo("Labels set in place of their own, not up: gpu-09 (rack=7, zone=r2). Each comes back with them"
                        + " until they are reset (hangar nodes label NODE --reset).");
    }

    /** In a cluster, a runtime that only nodes lost a while ago had is marked, with why its jobs wait. */
    @Test
    void aRuntimeNoNodeUpHasSaysSoInTheRuntimesTable() {
        open(hangar.url(), "/?events=off");
        waitFor().until(ExpectedConditions.presenceOfElementLocated(By.cssSelector("#runtimes-table tr[data-runtime='process']")));
        ((JavascriptExecutor) browser).executeAsyncScript("""
                const done = arguments[arguments.length - 1];
                import('/store.js').then(({ state, changed }) => {
                  // as GET /v1/runtimes of a cluster lists it; pinned against the page's own loads of this server's
                  const lost = { ...state.runtimes.find((r) => r.name === 'process'), name: 'lost-only',
                    waiting: 'no node that is up has it; nodes lost within 10 minutes had it: n9 (test)' };
                  const rows = [...state.runtimes, lost];
                  Object.defineProperty(state, 'runtimes', { get: () => rows, set: () => {}, configurable: true });
                  changed();
                  done();
                });
                """);
        By waits = By.cssSelector("#runtimes-table tr[data-runtime='lost-only'] .runtime-waits");
        waitFor().until(ExpectedConditions.presenceOfElementLocated(waits));
        assertThat(browser.findElement(waits).getText()).isEqualTo("no node takes its jobs");
        assertThat(browser.findElement(By.cssSelector("#runtimes-table tr[data-runtime='lost-only'] .reason")).getText())
                .isEqualTo("jobs for it wait: no node that is up has it; nodes lost within 10 minutes had it: n9 (test)");
        assertThat(browser.findElements(By.cssSelector("#runtimes-table tr[data-runtime='process'] .runtime-waits"))).isEmpty();
    }

    /**
     * The page's event stream, read with fetch, tries again by itself when its server goes away and
     * is live again, with the jobs of the server started anew, once one answers on the address.
     */
    @Test
    void theEventStreamComesBackLiveAfterItsServerRestarts(@TempDir Path dir) throws Exception {
        Path data = Files.createDirectories(dir.resolve("data"));
        AgentConfig config = AgentConfig.forThisHost("restarted").withRuntimes(Set.of("process"));
        int port;
        String before;
        try (var first = EmbeddedHangar.start(data, dir.resolve("images"), "127.0.0.1", 0, config)) {
            port = first.url().getPort();
            before = new HangarClient(first.url()).submit(JobSpec.of("echo", "before")).id();
            open(first.url(), "/");
            waitFor().until(ExpectedConditions.attributeToBe(By.id("connection"), "data-state", "live"));
            waitFor().until(driver -> rowIds().contains(before));
            js("window.hangarNoReload = 'still the same page'");
            requests(); // those of the first server, left out of what is read below
        }
        waitFor().until(driver -> !"live".equals(driver.findElement(By.id("connection")).getAttribute("data-state")));
        try (var second = EmbeddedHangar.start(data, dir.resolve("images"), "127.0.0.1", port, config)) {
            waitFor().until(ExpectedConditions.attributeToBe(By.id("connection"), "data-state", "live"));
            String after = new HangarClient(second.url()).submit(JobSpec.of("echo", "after")).id();
            waitFor().until(driver -> rowIds().containsAll(List.of(after, before)));
            assertThat(js("return window.hangarNoReload")).as("live again without a page load").isEqualTo("still the same page");
            assertThat(requests()).as("the stream asked for again, after the last event the page had")
                    .anyMatch(request -> request.path("url").asText().endsWith("/v1/events")
                            && request.path("headers").has("Last-Event-ID"));
            browser.get("about:blank");
        }
        // what the page asked of the server while it was away, or stopping, is its only failed requests
        List<String> errors = browser.manage().logs().get(LogType.BROWSER).getAll().stream()
                .filter(entry -> entry.getLevel().intValue() >= java.util.logging.Level.SEVERE.intValue())
                .map(LogEntry::getMessage).toList();
        assertThat(errors).allMatch(message -> message.contains("ERR_CONNECTION_REFUSED")
                || message.contains("Failed to fetch") || message.contains("status of 503"),
                "a request to the server while it was stopped or stopping");
    }

    /**
     * The page's reader of server-sent events, on a stream cut into pieces where the format is
     * hardest to read: a CRLF split across two pieces, CR line ends, comments, an event without a
     * type after one with, an id alone, an id with a NUL, a retry, a field without a value, an
     * event ended in the next piece, and a last event ended by CRs at the stream's very end.
     */
    @Test
    void theEventReaderReadsTheServerSentEventsFormat() {
        open(hangar.url(), "/?events=off");
        @SuppressWarnings("unchecked")
        var read = (Map<String, Object>) ((JavascriptExecutor) browser).executeAsyncScript("""
                const done = arguments[arguments.length - 1];
                import('/events.js').then(({ EventStream }) => {
                  const pieces = [': keep-alive\\n\\nevent: job\\ndata: {"a":1}\\nid: 7\\n\\n',
                    'event: node\\r', '\\ndata: line one\\r\\ndata: line two\\r\\n\\r', '\\n',
                    'data: no type\\n\\n', 'id: 9\\n\\nid: bad\\0id\\ndata: x\\n\\n',
                    'event: job\\ndata: cut short, its end in the next piece\\n', '\\n',
                    'retry: 60000\\nevent: pool\\rdata\\rid: 10\\r\\r'];
                  const real = window.fetch;
                  window.fetch = async () => new Response(new ReadableStream({ start(controller) {
                    for (const piece of pieces) controller.enqueue(new TextEncoder().encode(piece));
                    controller.close();
                  } }), { headers: { 'Content-Type': 'text/event-stream' } });
                  const stream = new EventStream('/v1/events'); // it asks for the stream at once
                  window.fetch = real;
                  const seen = [];
                  for (const type of ['job', 'node', 'pool', 'message']) {
                    stream.addEventListener(type, (e) => seen.push(type + '|' + e.data + '|' + e.lastEventId));
                  }
                  // the stream ends after the last piece: the reader then waits its retry before trying again
                  stream.onerror = () => {
                    stream.close();
                    done({ seen, lastEventId: stream.lastEventId, retry: stream.retryMs });
                  };
                });
                """);
        assertThat(read.get("seen")).isEqualTo(List.of("job|{\"a\":1}|7", "node|line one\nline two|7",
                "message|no type|7", "message|x|9", "job|cut short, its end in the next piece|9", "pool||10"));
        assertThat(read.get("lastEventId")).as("moved by the id alone and the pool's, not by the NUL one").isEqualTo("10");
        assertThat(read.get("retry")).isEqualTo(60000L);
    }

    @Test
    void theEventReaderTriesABusyServerAgainAfterItsRetryAfterAndTakesASilentStreamForDropped() {
        open(hangar.url(), "/?events=off");
        @SuppressWarnings("unchecked")
        var read = (Map<String, Object>) ((JavascriptExecutor) browser).executeAsyncScript("""
                const done = arguments[arguments.length - 1];
                import('/events.js').then(({ EventStream, CONNECTING }) => {
                  const asked = [];
                  const states = [];
                  const real = window.fetch;
                  window.fetch = async (path, options) => {
                    if (path !== '/v1/events') return real(path, options); // the page's own polls, meanwhile
                    asked.push({ at: Date.now(), lastEventId: options.headers['Last-Event-ID'] || '' });
                    if (asked.length === 1) {
                      return new Response('{}', { status: 429, headers: { 'Retry-After': '1' } });
                    }
                    // one event, then nothing, not even a keep-alive: a connection cut without a word
                    return new Response(new ReadableStream({ start(controller) {
                      controller.enqueue(new TextEncoder().encode('event: job\\ndata: {}\\nid: 42\\n\\n'));
                    } }), { headers: { 'Content-Type': 'text/event-stream' } });
                  };
                  const stream = new EventStream('/v1/events');
                  stream.retryMs = 50;
                  stream.silenceMs = 300;
                  stream.onerror = () => {
                    states.push(stream.readyState);
                    if (asked.length >= 3) {
                      stream.close();
                      window.fetch = real;
                      done({ states, waitedAfterBusy: asked[1].at - asked[0].at, resumedFrom: asked[2].lastEventId,
                        connecting: CONNECTING });
                    }
                  };
                  stream.addEventListener('job', () => {});
                  // the third connection is read too: its silence ends it, and the test with it
                });
                """);
        // a 429 closed the stream for good, and the page fell back to polling a server that said it was busy
        assertThat(read.get("states")).as("never closed").isEqualTo(List.of(0L, 0L, 0L));
        assertThat(read.get("connecting")).isEqualTo(0L);
        assertThat((Long) read.get("waitedAfterBusy")).as("its Retry-After heeded").isGreaterThanOrEqualTo(1000L);
        // a stream that heard nothing for longer than the keep-alives come was read for ever, the page shown live
        assertThat(read.get("resumedFrom")).as("reconnected after the silence, resuming").isEqualTo("42");
    }

    @Test
    void theEventReaderTakesAConnectionThatIsNeverAnsweredForDropped() {
        open(hangar.url(), "/?events=off");
        @SuppressWarnings("unchecked")
        var read = (Map<String, Object>) ((JavascriptExecutor) browser).executeAsyncScript("""
                const done = arguments[arguments.length - 1];
                import('/events.js').then(({ EventStream }) => {
                  const asked = [];
                  const real = window.fetch;
                  window.fetch = (path, options) => {
                    if (path !== '/v1/events') return real(path, options);
                    asked.push(Date.now());
                    // the first is told to come back at once, so that the second is asked after silenceMs is set
                    if (asked.length === 1) return Promise.resolve(new Response('{}', { status: 429 }));
                    // taken, and never answered: no headers, ever, until the reader lets go of it
                    if (asked.length === 2) {
                      return new Promise((resolve, reject) => options.signal.addEventListener('abort',
                        () => reject(new DOMException('let go', 'AbortError'))));
                    }
                    stream.close();
                    window.fetch = real;
                    done({ asked: asked.length, waited: asked[2] - asked[1] });
                    return new Promise(() => {});
                  };
                  const stream = new EventStream('/v1/events');
                  stream.retryMs = 50;
                  stream.silenceMs = 300;
                });
                """);
        assertThat(read.get("asked")).as("asked again after the unanswered one").isEqualTo(3L);
        assertThat((Long) read.get("waited")).as("after its silence, not at once").isGreaterThanOrEqualTo(300L);
    }

    @Test
    void aDurationIsShownInTheUnitOfItsFigureAsRounded() {
        open(hangar.url(), "/?events=off");
        @SuppressWarnings("unchecked")
        var shown = (List<String>) ((JavascriptExecutor) browser).executeAsyncScript("""
                const done = arguments[arguments.length - 1];
                import('/format.js').then(({ duration }) => done([0, 9.94, 9.96, 999.4, 999.6, 9994, 9996, 59940, 59960,
                  61000, 3599600, 3661000].map(duration)));
                """);
        // 999.6 ms showed as "1000 ms", 9,996 as "10.00 s" and 59,960 as "60.0 s"
        assertThat(shown).containsExactly("0 ms", "9.9 ms", "10 ms", "999 ms", "1.00 s", "9.99 s", "10.0 s", "59.9 s",
                "1m 00s", "1m 01s", "1h 00m", "1h 01m");
    }

    @Test
    void withoutTheEventStreamThePageRefreshesOverRest() {
        open(hangar.url(), "/?events=off");
        waitFor().until(ExpectedConditions.attributeToBe(By.id("connection"), "data-state", "polling"));
        js("window.hangarNoReload = 'still the same page'");
        String marker = "300." + ThreadLocalRandom.current().nextInt(100_000_000, 999_999_999);
        String id = api.submit(spec("sleep", marker)).path("id").asText();
        By row = By.cssSelector("#jobs-table tr[data-job-id='" + id + "']");

        waitFor().until(ExpectedConditions.attributeToBe(row, "data-state", "RUNNING"));
        assertThat(api.delete("/v1/jobs/" + id).status()).isEqualTo(202);
        waitFor().until(ExpectedConditions.attributeToBe(row, "data-state", "CANCELLED"));

        assertThat(js("return window.hangarNoReload")).isEqualTo("still the same page");
        await("no host process left with " + marker).atMost(Duration.ofSeconds(10))
                .until(() -> Host.processesWith(marker), List::isEmpty);
    }

    /**
     * A server with API tokens: the page asks for a token once refused, then shows that tenant's jobs
     * alone, live, and follows their output with it; the token is kept for the tab alone.
     */
    @Test
    void aServerWithTokensAsksForOneThenShowsThatTenantsJobsAlone(@TempDir Path dir) throws Exception {
        String tokenA = ApiTokens.newToken();
        String tokenB = ApiTokens.newToken();
        Path tokens = Files.writeString(dir.resolve("tokens"), "team-a " + ApiTokens.hashed(tokenA) + "\nteam-b " + tokenB + "\n");
        try (var guarded = EmbeddedHangar.start(null, Files.createDirectories(dir.resolve("data")), dir.resolve("images"),
                "127.0.0.1", 0, AgentConfig.forThisHost("guarded").withRuntimes(Set.of("process")),
                Optional.of(ApiTokens.read(tokens)))) {
            var client = new HangarClient(guarded.url());
            String ofA = client.withToken(tokenA).submit(JobSpec.of("echo", "output of team a")).id();
            String ofB = client.withToken(tokenB).submit(JobSpec.of("echo", "b")).id();

            open(guarded.url(), "/");
            waitFor().until(ExpectedConditions.visibilityOfElementLocated(By.id("token-form")));
            browser.findElement(By.id("token")).sendKeys(tokenA);
            browser.findElement(By.cssSelector("#token-form button")).click();
            waitFor().until(driver -> rowIds().equals(List.of(ofA)));
            waitFor().until(ExpectedConditions.attributeToBe(By.id("connection"), "data-state", "live"));
            assertThat(browser.findElements(By.id("token-form"))).isEmpty();
            // the event stream, live, with the token in a header: an address would keep it in proxies' logs
            assertThat(requestedAddresses()).anyMatch(url -> url.contains("/v1/events"))
                    .noneMatch(url -> url.contains(tokenA));
            // a tenant's /healthz counts no jobs (they would be every tenant's): no counts rather than zeros
            assertThat(browser.findElements(By.cssSelector(".filters .n"))).isEmpty();

            String laterOfB = client.withToken(tokenB).submit(JobSpec.of("echo", "b again")).id();
            String laterOfA = client.withToken(tokenA).submit(JobSpec.of("echo", "a again")).id();
            waitFor().until(driver -> rowIds().equals(List.of(laterOfA, ofA)));
            assertThat(rowIds()).doesNotContain(ofB, laterOfB);

            open(guarded.url(), "/#/jobs/" + ofA);
            waitFor().until(ExpectedConditions.textToBePresentInElementLocated(By.id("job-logs"), "output of team a"));
            screenshot("dashboard-tenant.png");

            // the raw log opens with the token in a header, not in an address that keeps it
            String page = browser.getWindowHandle();
            browser.findElement(By.id("raw-log")).click();
            waitFor().until(driver -> driver.getWindowHandles().size() == 2);
            browser.switchTo().window(browser.getWindowHandles().stream().filter(h -> !h.equals(page)).findFirst().orElseThrow());
            waitFor().until(driver -> driver.getPageSource().contains("output of team a"));
            assertThat(browser.getCurrentUrl()).startsWith("blob:").doesNotContain(tokenA);
            browser.close();
            browser.switchTo().window(page);
            js("sessionStorage.clear()");
            // why before the server stops: the open page would go on calling it and log refused connections
            browser.get("about:blank");
        }
        // the calls refused before the token was given are the page's only failed requests
        List<String> errors = browser.manage().logs().get(LogType.BROWSER).getAll().stream()
                .filter(entry -> entry.getLevel().intValue() >= java.util.logging.Level.SEVERE.intValue())
                .map(LogEntry::getMessage).toList();
        assertThat(errors).allMatch(message -> message.contains("401"), "a refusal for want of a token");
    }

    /** The addresses the page has requested since they were last read (Chromium's network log). */
    private static List<String> requestedAddresses() {
        return requests().stream().map(request -> request.path("url").asText()).toList();
    }

    /** The requests the page has sent since they were last read, each with its url and headers. */
    private static List<JsonNode> requests() {
        return browser.manage().logs().get(LogType.PERFORMANCE).getAll().stream().map(entry -> {
            JsonNode message;
            try {
                message = Json.mapper().readTree(entry.getMessage()).path("message");
            } catch (java.io.IOException e) {
                throw new java.io.UncheckedIOException(e);
            }
            return "Network.requestWillBeSent".equals(message.path("method").asText())
                    ? message.path("params").path("request") : null;
        }).filter(java.util.Objects::nonNull).toList();
    }

    /**
     * 10,000 jobs stay QUEUED behind a job that reserves all of a second node's memory; the page is
     * loaded afresh and timed. Logged, not asserted: the figure depends on the machine.
     */
    @Test
    void tenThousandJobsStayUsable(@TempDir Path bulkDir) throws Exception {
        try (var bulk = EmbeddedHangar.start(bulkDir, "127.0.0.1", 0,
                AgentConfig.forThisHost("bulk").withRuntimes(Set.of("process")))) {
            var bulkApi = new Api(bulk.url());
            ObjectNode blocker = spec("sleep", "300");
            blocker.put("name", "blocker");
            blocker.putObject("resources").put("memoryMb", bulk.agent().config().memoryMb());
            String blockerId = bulkApi.submit(blocker).path("id").asText();
            bulkApi.awaitState(blockerId, "RUNNING");

            // a page already open follows the 10,000 submissions live
            open(bulk.url(), "/");
            waitFor().until(ExpectedConditions.attributeToBe(By.id("connection"), "data-state", "live"));
            long started = System.nanoTime();
            for (int i = 0; i < 10_000; i++) {
                bulk.queue().enqueue(JobSpec.builder().name("bulk-" + i).command("echo", "bulk", Integer.toString(i)).build());
            }
            System.out.printf("dashboard 10k: enqueued 10,000 jobs in %d ms%n", (System.nanoTime() - started) / 1_000_000);
            assertThat(bulkApi.jobCount()).isEqualTo(10_001);
            waitFor().until(ExpectedConditions.textToBePresentInElementLocated(By.cssSelector("header .summary"), "10,001 jobs"));
            System.out.printf("dashboard 10k: the open page counted them live %d ms after the first submission%n",
                    (System.nanoTime() - started) / 1_000_000);
            assertThat(rowIds()).hasSize(50);

            browser.get("about:blank");
            open(bulk.url(), "/");
            waitFor().until(ExpectedConditions.numberOfElementsToBe(By.cssSelector("#jobs-table tbody tr"), 50));
            waitFor().until(driver -> "complete".equals(js("return document.readyState")));
            @SuppressWarnings("unchecked")
            var timing = (Map<String, Object>) js("""
                    const nav = performance.getEntriesByType('navigation')[0];
                    const rows = performance.getEntriesByName('hangar:jobs-rendered')[0];
                    return {domContentLoaded: nav.domContentLoadedEventEnd, loadEventEnd: nav.loadEventEnd,
                            jobsRendered: rows ? rows.startTime : -1, transferred: performance.getEntriesByType('resource')
                              .reduce((sum, r) => sum + r.transferSize, nav.transferSize)};""");
            System.out.printf("dashboard 10k: DOMContentLoaded %.0f ms, loadEventEnd %.0f ms, jobs table has rows at %.0f ms"
                    + " after navigation start; %s bytes transferred%n",
                    number(timing.get("domContentLoaded")), number(timing.get("loadEventEnd")),
                    number(timing.get("jobsRendered")), timing.get("transferred"));
            assertThat(browser.findElement(By.cssSelector("#jobs .filters [data-filter='ALL']")).getText()).contains("10,001");
            screenshot("dashboard-10k.png");

            // paging goes to the API by cursor: the next 50, none of the first page's
            List<String> first = rowIds();
            browser.findElement(By.id("older-page")).click();
            waitFor().until(driver -> !rowIds().isEmpty() && !rowIds().get(0).equals(first.get(0)));
            assertThat(rowIds()).hasSize(50).doesNotContainAnyElementsOf(first);
            assertThat(browser.findElement(By.cssSelector("#jobs .pager")).getText()).contains("jobs 51–100");

            // the state filter too: RUNNING is the blocker alone
            browser.findElement(By.cssSelector("#jobs .filters [data-filter='RUNNING']")).click();
            waitFor().until(driver -> rowIds().equals(List.of(blockerId)));

            // search filters the loaded page
            browser.findElement(By.cssSelector("#jobs .filters [data-filter='ALL']")).click();
            waitFor().until(driver -> rowIds().size() == 50);
            String someId = rowIds().get(7);
            browser.findElement(By.id("job-search")).sendKeys(someId);
            waitFor().until(driver -> rowIds().equals(List.of(someId)));
        }
    }

    /** The ids of the jobs table's rows, read in one script: rows are re-rendered under a WebElement. */
    @SuppressWarnings("unchecked")
    private static List<String> rowIds() {
        return (List<String>) js("return [...document.querySelectorAll('#jobs-table tbody tr')].map(row => row.dataset.jobId)");
    }

    private static double number(Object value) {
        return value instanceof Number n ? n.doubleValue() : Double.NaN;
    }

    private static void open(URI base, String path) {
        browser.get(base.resolve(path).toString());
    }

    private static WebDriverWait waitFor() {
        return new WebDriverWait(browser, WAIT, Duration.ofMillis(50));
    }

    private static Object js(String script) {
        return ((JavascriptExecutor) browser).executeScript(script);
    }

    private static void screenshot(String name) {
        try {
            Path shot = ((TakesScreenshot) browser).getScreenshotAs(OutputType.FILE).toPath();
            Files.copy(shot, screenshots.resolve(name), StandardCopyOption.REPLACE_EXISTING);
            System.out.println("dashboard screenshot: " + screenshots.resolve(name));
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }
}
