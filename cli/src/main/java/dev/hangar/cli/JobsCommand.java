package dev.hangar.cli;

import dev.hangar.core.job.Job;
import dev.hangar.core.job.JobState;
import dev.hangar.core.json.Json;
import dev.hangar.core.queue.JobQuery;
import dev.hangar.client.JobStatus;
import dev.hangar.client.StatusPage;
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

    @Option(names = "--state", split = ",", description = "Only jobs in these states, in any case, e.g. QUEUED,RUNNING")
    Set<JobState> states = EnumSet.noneOf(JobState.class);

    private static final int DEFAULT_LIMIT = 50;

    @Option(names = "--limit", defaultValue = "" + DEFAULT_LIMIT, description = "Jobs per page (default: ${DEFAULT-VALUE});"
            + " with -q, the most ids printed (default: all)")
    int limit;

    @Option(names = "--tenant", description = "Only this tenant's jobs (for an admin token; others see their own alone)")
    String tenant;

    @Option(names = "--node", description = "Only the jobs whose current attempt this node holds, runs or ran")
    String node;

    @Option(names = "--cursor", description = "Cursor of the page to show (printed under the previous page)")
    String cursor;

    @Option(names = {"-q", "--quiet"}, description = "Print only the jobs' ids, one a line: every matching job from the"
            + " cursor on, or --limit of them, e.g. hangar jobs -q --state QUEUED | xargs -r hangar cancel")
    boolean quiet;

    @picocli.CommandLine.Spec
    picocli.CommandLine.Model.CommandSpec spec;

    @Override
    public Integer call() {
        if (limit < 1) {
            // named as the user gave it: the query's own check names its field, 'limit'
            throw new IllegalArgumentException("--limit: must be at least 1, got " + limit);
        }
        if (!quiet && limit > JobQuery.MAX_LIMIT) {
            // why: the page was cut to the API's largest without a word, and its next-page hint repeated the limit
            throw new IllegalArgumentException("--limit: a page holds at most " + JobQuery.MAX_LIMIT + " jobs, got " + limit
                    + "; page on with --cursor, or list every id with -q");
        }
        // why: an empty value is sent as no filter at all, and an admin's --tenant '' listed every tenant's jobs
        notEmpty("--tenant", tenant);
        notEmpty("--node", node);
        notEmpty("--cursor", cursor);
        if (quiet) {
            if (client.json) {
                throw new IllegalArgumentException("--quiet: give it or --json, not both");
            }
            return printIds();
        }
        StatusPage page = client.client().listStatuses(new JobQuery(states, cursor, limit, tenant, node));
        if (client.json) {
            // as the API gives it: a queued job no node that is up can run with its waiting
            System.out.println(Json.write(page));
            return 0;
        }
        var out = new PrintWriter(System.out, true);
        Tables.print(out, List.of("ID", "STATE", "NODE", "RUNTIME", "EXIT", "RUN", "COMMAND"),
                page.jobs().stream().map(JobsCommand::row).toList());
        page.jobs().stream().filter(status -> status.waiting() != null)
                .forEach(status -> out.println(status.job().id() + " waits: " + status.waiting()));
        if (page.nextCursor() != null) {
            out.println("more: " + nextPage(page.nextCursor()));
        }
        return 0;
    }

    private static void notEmpty(String option, String value) {
        if (value != null && value.isBlank()) {
            throw new IllegalArgumentException(option + ": must not be empty; leave it out for no filter");
        }
    }

    /** The matching jobs' ids from the cursor on, all or --limit of them, in pages as large as the API gives. */
    private int printIds() {
        var api = client.client();
        long most = spec.commandLine().getParseResult().hasMatchedOption("--limit") ? limit : Long.MAX_VALUE;
        long printed = 0;
        String at = cursor;
        try {
            do {
                int size = (int) Math.min(JobQuery.MAX_LIMIT, most - printed);
                StatusPage page = api.listStatuses(new JobQuery(states, at, size, tenant, node));
                for (JobStatus status : page.jobs()) {
                    OutputClosed.println(System.out, status.job().id());
                    printed++;
                }
                at = page.nextCursor();
            } while (at != null && printed < most);
        } catch (OutputClosed e) {
            return OutputClosed.EXIT_CODE; // as | head leaves it: no page more is read
        }
        return 0;
    }

    /** The command that lists the next page: this one's server and filters again, as the cursor keeps only the place. */
    private String nextPage(String next) {
        var command = new StringBuilder("hangar jobs");
        if (client.url != null) {
            command.append(" --url ").append(shellWord(client.url.toString()));
        }
        if (!states.isEmpty()) {
            command.append(" --state ").append(String.join(",", states.stream().map(Enum::name).sorted().toList()));
        }
        if (limit != DEFAULT_LIMIT) {
            command.append(" --limit ").append(limit);
        }
        if (tenant != null) {
            command.append(" --tenant ").append(shellWord(tenant));
        }
        if (node != null) {
            command.append(" --node ").append(shellWord(node));
        }
        return command.append(" --cursor ").append(shellWord(next)).toString();
    }

    /** The text as one word of a POSIX shell: quoted unless it is plain. */
    private static String shellWord(String text) {
        return text.matches("[A-Za-z0-9:/._@=+,-]+") ? text : "'" + text.replace("'", "'\\''") + "'";
    }

    private static List<String> row(JobStatus status) {
        Job job = status.job();
        Duration run = job.timings().run();
        String command = String.join(" ", job.spec().command());
        String state = job.state().name() + (status.waiting() == null ? "" : " (waits)");
        return List.of(job.id(), state, Tables.orDash(job.node()), Tables.orDash(job.runtime()), Tables.orDash(job.exitCode()),
                run == null ? "-" : run.toMillis() + " ms", Tables.cut(Tables.printable(command), 60));
    }
}
