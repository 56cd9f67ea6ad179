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

    /** Whether a server was there (and was slow), rather than none. */
    public boolean serverThere() {
        return answering;
    }
}
