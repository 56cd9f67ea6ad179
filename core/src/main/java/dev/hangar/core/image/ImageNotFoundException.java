package dev.hangar.core.image;

import java.util.Collection;

/** A job or command named an image this node does not have. */
public class ImageNotFoundException extends RuntimeException {
    public ImageNotFoundException(String name, Collection<String> known) {
        super("unknown image '" + name + "'; known: " + (known.isEmpty() ? "none" : String.join(", ", known))
                + " (add one with 'hangar image import NAME DIR|TAR')");
    }
}
