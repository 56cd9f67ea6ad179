package dev.hangar.runtime.support;

import dev.hangar.core.image.ImageHold;
import dev.hangar.core.image.ImageNotFoundException;
import dev.hangar.core.image.ImageStore;
import dev.hangar.core.runtime.SandboxException;
import java.io.IOException;

/**
 * The image a sandbox is made on, held for the sandbox's life so that the store does not remove it
 * from under the job (see {@link ImageHold}): the sandbox lets go as it is destroyed, and a sandbox
 * not made lets go at once.
 */
public final class SandboxImages {
    private SandboxImages() {}

    /** Holds the image; an image the node lacks is the job's fault, one that could not be made the runtime's. */
    public static ImageHold hold(ImageStore images, String image, String sandboxId) throws SandboxException {
        try {
            return images.hold(image);
        } catch (ImageNotFoundException e) { // a name the node lacks
            throw SandboxException.causedByTheJob(e.getMessage(), e);
        } catch (IllegalArgumentException e) { // no image's name, which the store blames on its "name"; the job's is "image"
            throw SandboxException.causedByTheJob("image: " + e.getMessage().replaceFirst("^name: ", ""), e);
        } catch (IOException | RuntimeException e) {
            throw new SandboxException("could not make image " + image + " for sandbox " + sandboxId + ": "
                    + e.getMessage(), e);
        }
    }

    /** What {@code maker} makes on the held image, which is let go if it fails. */
    public static <S> S makeOn(ImageHold held, Maker<S> maker) throws SandboxException {
        boolean made = false;
        try {
            S sandbox = maker.make(held);
            made = true;
            return sandbox;
        } finally {
            if (!made) {
                held.close(); // no sandbox will let go of it
            }
        }
    }

    /** Makes a sandbox on a held image, which the sandbox then lets go of as it is destroyed. */
    public interface Maker<S> {
        S make(ImageHold held) throws SandboxException;
    }
}
