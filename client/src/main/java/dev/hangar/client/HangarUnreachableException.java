package dev.hangar.client;

import java.net.URI;

/** No Hangar server answered at the URL. */
public class HangarUnreachableException extends RuntimeException {
    public HangarUnreachableException(URI url, Throwable cause) {
        super("no Hangar server at " + url + " (" + cause.getClass().getSimpleName()
                + (cause.getMessage() == null ? "" : ": " + cause.getMessage()) + ")", cause);
    }
}
