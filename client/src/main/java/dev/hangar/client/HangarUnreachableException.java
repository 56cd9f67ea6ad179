package dev.hangar.client;

import java.net.URI;

/** No Hangar server answered at the URL, or it did not answer a call in time. */
public class HangarUnreachableException extends RuntimeException {
    private final boolean answering;

    public HangarUnreachableException(URI url, Throwable cause) {
        super("no Hangar server at " + url + " (" + cause.getClass().getSimpleName()
                + (cause.getMessage() == null ? "" : ": " + cause.getMessage()) + ")", cause);
        this.answering = false;
    }

    private HangarUnreachableException(String message, Throwable cause) {
        super(message, cause);
        this.answering = true;
    }

    /** A server is there, connected to, but gave no answer to a call within {@code timeout}. */
    static HangarUnreachableException timedOut(URI url, String call, java.time.Duration timeout, Throwable cause) {
        return new HangarUnreachableException("the Hangar server at " + url + " did not answer " + call + " within "
                + timeout.toSeconds() + " s", cause);
    }

    /**
     * The caller's thread was interrupted while it waited for the server at {@code url} ({@code what}): whether a
     * server is there is not known, and none is said to be missing. The thread's interrupt flag is set again.
     */
    static HangarUnreachableException interrupted(URI url, String what, InterruptedException cause) {
        Thread.currentThread().interrupt();
        return new HangarUnreachableException("interrupted while waiting for the Hangar server at " + url + " ("
                + what + ")", cause);
    }

    /** Whether a server was there (and was slow), rather than none; true too for a wait interrupted by the caller. */
    public boolean serverThere() {
        return answering;
    }
}
