package dev.hangar.core.image;

import java.util.concurrent.atomic.AtomicBoolean;

/**
 * An image held by one sandbox for its life (a job running in it, or a warm sandbox waiting for
 * one): while held, the store keeps its files, even once the image is removed. Closing lets go,
 * once however often it is called.
 */
public final class ImageHold implements AutoCloseable {
    private final Image image;
    private final Runnable release;
    private final AtomicBoolean released = new AtomicBoolean();

    public ImageHold(Image image, Runnable release) {
        this.image = image;
        this.release = release;
    }

    public Image image() {
        return image;
    }

    @Override
    public void close() {
        if (released.compareAndSet(false, true)) {
            release.run();
        }
    }
}
