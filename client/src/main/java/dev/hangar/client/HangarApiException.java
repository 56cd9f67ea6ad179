package dev.hangar.client;

import dev.hangar.core.api.Problem;

/** The server refused a request; {@link #problem()} says why, naming the fields at fault. */
public class HangarApiException extends RuntimeException {
    private final Problem problem;

    public HangarApiException(Problem problem) {
        super(problem.status() + " " + problem.title() + ": " + problem.detail());
        this.problem = problem;
    }

    public Problem problem() {
        return problem;
    }

    public int status() {
        return problem.status();
    }

    /**
     * Whether this is the answer of a server away for a while rather than a refusal: one restarting, its queue
     * failing over, or a proxy in front of either (502, 503, 504). A follow waits such answers out.
     */
    public boolean serverAway() {
        return status() == 502 || status() == 503 || status() == 504;
    }
}
