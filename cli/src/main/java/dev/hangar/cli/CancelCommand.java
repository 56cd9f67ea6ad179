package dev.hangar.cli;

import dev.hangar.core.job.Job;
import dev.hangar.core.json.Json;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Parameters;

/** {@code hangar cancel ID}: cancel a job; a running job's sandbox is killed. */
@Command(name = "cancel", description = "Cancel a job; a running job's sandbox is killed.")
final class CancelCommand implements Callable<Integer> {
    @Mixin
    ClientOptions client;

    @Parameters(paramLabel = "ID", description = "The job's id")
    String id;

    @Override
    public Integer call() {
        Job job = client.client().cancel(id);
        System.out.println(client.json ? Json.write(job) : job.id() + " " + (!job.isFinal() ? "cancel requested (" + job.state() + ")"
                : job.state() == dev.hangar.core.job.JobState.CANCELLED ? job.state()
                : job.state() + ": it had ended; nothing to cancel"));
        return 0;
    }
}
