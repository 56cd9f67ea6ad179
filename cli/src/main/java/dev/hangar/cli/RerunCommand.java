package dev.hangar.cli;

import dev.hangar.client.HangarClient;
import dev.hangar.core.job.Job;
import dev.hangar.core.job.JobSpec;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;

/**
 * {@code hangar rerun ID}: a job's spec run again as a new job, once what made it fail is mended (a dead
 * letter, say). The job itself stays as it ended: each job ends once, its result recorded once.
 */
@Command(name = "rerun", description = "Run a job's spec again as a new job (a DEAD or FAILED one once its cause is"
        + " mended, say), stream its output and exit with its exit code, as run does. The job itself, ended or not,"
        + " is left as it is; each rerun makes a job, but with --idempotency-key one per key.")
final class RerunCommand implements Callable<Integer> {
    @Mixin
    ClientOptions client;

    @Option(names = {"-d", "--detach"}, description = "Submit the new job and print its id, without waiting for it")
    boolean detach;

    @Option(names = "--idempotency-key", paramLabel = "KEY", description = "Make the new job once: a rerun given again"
            + " with this key (after an answer lost, say) gets the job made first (without it, the new job has no key)")
    String idempotencyKey;

    @Parameters(paramLabel = "ID", description = "The job to run again")
    String id;

    @Override
    public Integer call() {
        HangarClient server = client.client();
        Job earlier = server.get(id);
        if (idempotencyKey != null && idempotencyKey.equals(earlier.spec().idempotencyKey())) {
            // under it the server would answer with this job itself, and no new one would be made
            throw new IllegalArgumentException("--idempotency-key: '" + idempotencyKey + "' is job " + earlier.id()
                    + "'s own key; give the rerun a key of its own");
        }
        // the key given, or none: never the earlier job's own (see above)
        JobSpec again = earlier.spec().toBuilder().idempotencyKey(idempotencyKey).build();
        if (detach) {
            return FollowedRun.detached(server, again, client.json);
        }
        return FollowedRun.of(server, again, client.json,
                made -> System.err.println("hangar: job " + earlier.id() + "'s spec again, as job " + made.id()));
    }
}
