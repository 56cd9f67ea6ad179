package dev.hangar.images;

import java.time.Instant;

/**
 * What {@code image.json} beside a root filesystem records.
 *
 * @param recipe the {@link BuiltinImage#recipe} a built-in image was made by; null for an imported
 *               image, and for a built-in made before recipes were recorded (recipe 1)
 */
record ImageMetadata(String name, String source, Instant createdAt, long sizeBytes, Integer recipe) {
    /** The recipe a built-in image was made by. */
    int builtBy() {
        return recipe == null ? 1 : recipe;
    }
}
