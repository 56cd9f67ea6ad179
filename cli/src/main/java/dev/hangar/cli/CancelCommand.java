package dev.hangar.cli;

import dev.hangar.client.HangarApiException;
import dev.hangar.client.HangarClient;
import dev.hangar.core.job.Job;
import dev.hangar.core.job.JobState;
import dev.hangar.core.json.Json;
import java.util.List;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Parameters;

/** {@code hangar cancel ID...}: cancel jobs; a running job's sandbox is killed. */
@Command(name = "cancel", description = "Cancel jobs; a running job's sandbox is killed. With several ids, one that"
        + " cannot be cancelled (not there, say) is told and the others are cancelled all the same.")
final class CancelCommand implements Callable<Integer> {
    @Mixin
    ClientOptions client;

    @Parameters(arity = "1..*", paramLabel = "ID", description = "The jobs' ids")
    List<String> ids;

    @Override
    public Integer call() {
        HangarClient api = client.client();
        int code = 0;
        for (String id : ids) {
            Job job;
            try {
                job = api.cancel(id);
            } catch (HangarApiException e) {
                if (ids.size() == 1) {
                    throw e; // told as any command's refusal is
                }
                System.err.println("hangar: " + id + ": " + e.getMessage());
                // as for one id: 2 for a refusal, else 1 (a refusal among failures says most: 2)
                code = Math.max(code, e.status() < 500 ? 2 : 1);
                continue;
            }
            // with --json, one job a line (one JSON document for one id, as before)
            System.out.println(client.json ? Json.write(job) : job.id() + " " + (!job.isFinal()
                    ? "cancel requested (" + job.state() + ")" : job.state() == JobState.CANCELLED ? job.state()
                    : job.state() + ": it had ended; nothing to cancel"));
        }
        return code;
    }
}
