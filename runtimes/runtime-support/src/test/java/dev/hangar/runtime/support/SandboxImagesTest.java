package dev.hangar.runtime.support;

import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.hangar.core.image.ImageStore;
import dev.hangar.core.runtime.SandboxException;
import java.lang.reflect.Proxy;
import org.junit.jupiter.api.Test;

/** The image a sandbox is made on: what a job is told when it names none the store could have. */
class SandboxImagesTest {
    @Test
    void aJobNamingNoImagesNameIsToldOfItsImageField() {
        ImageStore store = (ImageStore) Proxy.newProxyInstance(ImageStore.class.getClassLoader(),
                new Class<?>[] {ImageStore.class}, (proxy, method, args) -> {
                    throw new IllegalArgumentException("name: 'Alpine:3.19' is not an image name (lower-case letters)");
                });

        // without the fix the job read of a "name" field it does not have
        assertThatThrownBy(() -> SandboxImages.hold(store, "Alpine:3.19", "s-1")).isInstanceOf(SandboxException.class)
                .hasMessage("image: 'Alpine:3.19' is not an image name (lower-case letters)")
                .satisfies(e -> org.assertj.core.api.Assertions.assertThat(((SandboxException) e).isCausedByTheJob()).isTrue());
    }
}
