package dev.hangar.cli;

import dev.hangar.core.job.Job;
import dev.hangar.core.json.Json;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;

/** {@code hangar submit -f job.json}: submit a job spec file; print the job id. */
@Command(name = "submit", description = "Submit a job spec (JSON) and print the job's id.")
final class SubmitCommand implements Callable<Integer> {
    @Mixin
    ClientOptions client;

    @Option(names = {"-f", "--file"}, required = true, description = "Job spec file, or - for standard input")
    String file;

    @Override
    public Integer call() throws Exception {
        String json = SpecFile.read(file);
        Job job = client.client().submitJson(json);
        System.out.println(client.json ? Json.write(job) : job.id());
        return 0;
    }
}
