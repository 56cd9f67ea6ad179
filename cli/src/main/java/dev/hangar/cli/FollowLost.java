package dev.hangar.cli;

import dev.hangar.client.HangarApiException;
import dev.hangar.client.HangarUnreachableException;
import dev.hangar.core.job.Job;
import java.util.function.Supplier;

/**
 * A follow that gave up on a server gone for longer than it waits ({@link JobWatcher#RECONNECT_FOR}). Why its own
 * message: the server was there and took the job, which runs on; "no server, start one" would mislead, and a run
 * that printed only the job's output never said the job's id.
 */
final class FollowLost extends RuntimeException {

    private FollowLost(String jobId, boolean follow, RuntimeException cause) {
        super(follow ? "lost the Hangar server while following job " + jobId + " (" + cause.getMessage() + "); the job was"
                + " not cancelled: follow it again with 'hangar logs -f " + jobId + "'"
                : "lost the Hangar server while reading job " + jobId + "'s output (" + cause.getMessage() + "); read it"
                + " again with 'hangar logs " + jobId + "'", cause);
    }

    /** The follow's final job, or this if it gave up on the server. */
    static Job unlessLost(String jobId, Supplier<Job> follow) {
        return unlessLost(jobId, true, follow);
    }

    /** What {@code reading} returned, or this if it gave up on the server; {@code follow}: whether it followed. */
    static <T> T unlessLost(String jobId, boolean follow, Supplier<T> reading) {
        try {
            return reading.get();
        } catch (HangarUnreachableException e) {
            throw new FollowLost(jobId, follow, e);
        } catch (HangarApiException e) {
            // a server that kept answering as one away does (its queue away, a proxy without it) for as long; any
            // other answer (a 500, a refusal of the follow itself) goes on as it is
            throw e.serverAway() ? new FollowLost(jobId, follow, e) : e;
        }
    }
}
