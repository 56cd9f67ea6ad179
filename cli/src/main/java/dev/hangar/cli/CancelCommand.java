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
        + " cannot be cancelled (not there, say) is told and the others are cancelled all the same.",
        footer = {"", "Exit status: 0 when each job was cancelled (a running one: its cancel requested), or had ended;"
                + " 2 when one was refused (not there, not the token's tenant's); 1 when the server failed or could not be reached, which is worth trying again (it wins"
                + " over 2; on an unreachable server the ids not tried are named)."})
final class CancelCommand implements Callable<Integer> {
    @Mixin
    ClientOptions client;

    @Parameters(arity = "1..*", paramLabel = "ID", description = "The jobs' ids")
    List<String> ids;

    @Override
    public Integer call() {
        HangarClient api = client.client();
        int code = 0;
        for (int i = 0; i < ids.size(); i++) {
            String id = ids.get(i);
            Job job;
            try {
                job = api.cancel(id);
            } catch (HangarApiException e) {
                // one id, or a refusal every id would meet (no token, not an admin's): told as any command's is
                if (ids.size() == 1 || e.status() == 401 || e.status() == 403) {
                    throw e;
                }
                System.err.println(client.json ? Json.write(e.problem()) : "hangar: " + id + ": " + Main.message(e, false));
                // as for one id, 2 for a refusal; 1, which a script may try again, where the server failed
                code = code == 1 ? 1 : Main.exitCode(e);
                continue;
            } catch (RuntimeException e) {
                if (i > 0) {
                    System.err.println("hangar: not tried: " + String.join(" ", ids.subList(i, ids.size())));
                }
                throw e;
            }
            // with --json, one job a line (one JSON document for one id, as before)
            System.out.println(client.json ? Json.write(job) : job.id() + " " + (!job.isFinal()
                    ? "cancel requested (" + job.state() + ")" : job.state() == JobState.CANCELLED ? job.state()
                    : job.state() + ": it had ended; nothing to cancel"));
        }
        return code;
    }
}
