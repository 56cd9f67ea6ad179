package dev.hangar.it;

import static dev.hangar.it.CliIT.hangar;
import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import com.fasterxml.jackson.databind.JsonNode;
import java.nio.file.Path;
import java.time.Duration;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** {@code hangar pools} and {@code --pool}, run in this JVM against a real node. */
class PoolsCliIT extends OneNodeIT {
    @TempDir
    Path work;

    @Test
    void poolsArePutListedAsTableAndJsonAndRemoved() throws Exception {
        String url = hangar.url().toString();
        CliIT.Result put = hangar("pools", "--url", url, "--put", "runtime=process,name=cli-pool,memoryMb=128,min=1,max=2");
        assertThat(put.exitCode()).as("%s", put).isZero();
        assertThat(put.out()).contains("cli-pool").contains("POOL");

        await().atMost(Duration.ofMinutes(1)).until(() -> hangar("pools", "--url", url).out().matches(
                "(?s).*cli-pool\\s+process\\s+-\\s+1 cpu/128 MiB\\s+1/2\\s+1\\s+0.*"));
        CliIT.Result table = hangar("pools", "--url", url);
        assertThat(table.out()).contains("memory budget:").contains("READY").contains("SERVED");

        CliIT.Result json = hangar("pools", "--url", url, "--json");
        JsonNode list = Api.JSON.readTree(json.out());
        assertThat(list.path("budget").path("memoryMb").asLong()).isPositive();
        assertThat(list.path("pools").get(0).path("spec").path("name").asText()).isEqualTo("cli-pool");

        CliIT.Result removed = hangar("pools", "--url", url, "--remove", "cli-pool");
        assertThat(removed.exitCode()).as("%s", removed).isZero();
        // it used to print the removed pool's row, as if it were still there
        assertThat(removed.out()).startsWith("removed pool cli-pool").doesNotContain("POOL");
        assertThat(hangar("pools", "--url", url).out()).doesNotContain("cli-pool");
        assertThat(hangar("pools", "--url", url, "--remove", "cli-pool").exitCode()).isEqualTo(2);
    }

    @Test
    void badPoolsAreRefusedNamingTheField() {
        String url = hangar.url().toString();
        CliIT.Result notANumber = hangar("pools", "--url", url, "--put", "runtime=process,min=two");
        assertThat(notANumber.exitCode()).isEqualTo(2);
        assertThat(notANumber.err()).contains("min must be a whole number");

        CliIT.Result unknownKey = hangar("pools", "--url", url, "--put", "runtime=process,size=3");
        assertThat(unknownKey.err()).contains("unknown key 'size'");

        CliIT.Result outOfRange = hangar("pools", "--url", url, "--put", "runtime=process,min=5,max=2");
        assertThat(outOfRange.exitCode()).isEqualTo(2);
        assertThat(outOfRange.err()).contains("max: must be at least min (5)");

        CliIT.Result noSuchRuntime = hangar("pools", "--url", url, "--put", "runtime=nosuch");
        assertThat(noSuchRuntime.err()).contains("runtime: 'nosuch' cannot back a warm pool");

        CliIT.Result upWithBadPool = hangar("up", "--port", "0", "--data-dir", work.toString(), "--pool",
                "runtime=process,cpus=many");
        assertThat(upWithBadPool.exitCode()).isEqualTo(2);
        assertThat(upWithBadPool.err()).contains("--pool runtime=process,cpus=many: cpus must be a number");

        CliIT.Result badSnapshot = hangar("pools", "--url", url, "--put", "runtime=process,snapshot=maybe");
        assertThat(badSnapshot.err()).contains("snapshot must be true or false, got 'maybe'");
        CliIT.Result noSnapshots = hangar("pools", "--url", url, "--put", "runtime=process,prepare=make warm");
        assertThat(noSnapshots.err()).as("the field given")
                .contains("prepare: runtime 'process' cannot snapshot sandboxes on this node");
        CliIT.Result noSnapshot = hangar("pools", "--url", url, "--put", "runtime=process,snapshot=true");
        assertThat(noSnapshot.err()).contains("snapshot: runtime 'process' cannot snapshot sandboxes on this node");

        CliIT.Result badBudget = hangar("up", "--port", "0", "--data-dir", work.toString(), "--pool-memory-mb", "0");
        assertThat(badBudget.exitCode()).isEqualTo(2);
        assertThat(badBudget.err()).contains("--pool-memory-mb must be at least 1");
    }
}
