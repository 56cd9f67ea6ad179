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
}
