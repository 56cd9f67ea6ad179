package dev.hangar.cli;

import dev.hangar.core.job.Job;
import dev.hangar.core.job.JobState;
import dev.hangar.core.json.Json;
import dev.hangar.core.queue.JobPage;
import java.io.PrintWriter;
import java.time.Duration;
import java.util.EnumSet;
import java.util.List;
import java.util.Set;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;

/** {@code hangar jobs}: a page of jobs, newest first. */
@Command(name = "jobs", description = "List jobs, newest first.")
final class JobsCommand implements Callable<Integer> {
    @Mixin
    ClientOptions client;

    @Option(names = "--state", split = ",", description = "Only jobs in these states, e.g. QUEUED,RUNNING")
    Set<JobState> states = EnumSet.noneOf(JobState.class);

    @Option(names = "--limit", defaultValue = "50", description = "Jobs per page (default: ${DEFAULT-VALUE})")
    int limit;

    @Option(names = "--tenant", description = "Only this tenant's jobs (for an admin token; others see their own alone)")
    String tenant;

    @Option(names = "--cursor", description = "Cursor of the page to show (printed under the previous page)")
    String cursor;

    @Override
    public Integer call() {
        JobPage page = client.client().list(states, cursor, limit, tenant);
        if (client.json) {
            System.out.println(Json.write(page));
            return 0;
        }
        var out = new PrintWriter(System.out, true);
        Tables.print(out, List.of("ID", "STATE", "RUNTIME", "EXIT", "RUN", "COMMAND"),
                page.jobs().stream().map(JobsCommand::row).toList());
        if (page.nextCursor() != null) {
            out.println("more: hangar jobs" + (tenant == null ? "" : " --tenant " + tenant) + " --cursor " + page.nextCursor());
        }
        return 0;
    }

    private static List<String> row(Job job) {
        Duration run = job.timings().run();
        String command = String.join(" ", job.spec().command());
        return List.of(job.id(), job.state().name(), Tables.orDash(job.runtime()), Tables.orDash(job.exitCode()),
                run == null ? "-" : run.toMillis() + " ms", command.length() > 60 ? command.substring(0, 57) + "..." : command);
    }
}
