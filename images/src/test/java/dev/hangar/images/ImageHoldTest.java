package dev.hangar.images;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.hangar.core.image.Image;
import dev.hangar.core.image.ImageHold;
import dev.hangar.core.image.ImageNotFoundException;
import java.io.BufferedReader;
import java.io.InputStreamReader;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.function.BooleanSupplier;
import java.util.stream.Stream;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/**
 * An image removed while sandboxes hold it leaves their names at once and keeps its files until the
 * last sandbox on the host, in whichever process, has let go.
 */
@Timeout(value = 2, unit = TimeUnit.MINUTES) // the other process's word is read without a bound of its own
class ImageHoldTest {
    @TempDir
    Path dir;
    private LocalImageStore store;

    @BeforeEach
    void importImage() throws Exception {
        store = new LocalImageStore(dir.resolve("images"));
        importHello("v1");
    }

    private void importHello(String content) throws Exception {
        Path source = Files.createDirectories(dir.resolve("src-" + content + "/bin"));
        Files.writeString(source.resolve("hello"), content);
        store.importRootfs("hello", source.getParent());
    }

    @Test
    void aRemovedImageKeepsItsFilesUntilEverySandboxOfThisProcessOnItHasLetGo() throws Exception {
        ImageHold first = store.hold("hello");
        ImageHold second = new LocalImageStore(dir.resolve("images")).hold("hello");
        Path file = first.image().rootfs().resolve("bin/hello");

        assertThat(store.remove("hello")).isTrue();
        assertThat(store.find("hello")).as("the name, free at once").isEmpty();
        assertThat(file).as("the files, kept while held, where they were").hasContent("v1");
        assertThat(store.removedButHeld()).as("listed as removed but held").singleElement()
                .isEqualTo(first.image());
        importHello("v2");
        assertThat(store.removedButHeld()).as("not the name's new image").singleElement().isEqualTo(first.image());
        try (ImageHold third = store.hold("hello")) {
            assertThat(third.image().rootfs().resolve("bin/hello")).as("the name's new image").hasContent("v2");
        }

        first.close();
        first.close(); // a hold is let go once
        importOther(); // a make deletes what no sandbox holds
        assertThat(file).as("still held by the second").hasContent("v1");
        second.close();
        assertThat(within(Duration.ofSeconds(10), () -> versions().size() == 2))
                .as("deleted once let go: hello's second version and the other image left").isTrue();
        assertThat(file).doesNotExist();
        assertThat(store.removedButHeld()).isEmpty();
    }

    @Test
    void anImageHeldByAnotherProcessKeepsItsFilesUntilThatProcessDies() throws Exception {
        String java = Path.of(System.getProperty("java.home"), "bin", "java").toString();
        Process holder = new ProcessBuilder(java, "-cp", System.getProperty("java.class.path"), Holder.class.getName(),
                dir.resolve("images").toString(), "hello").redirectError(ProcessBuilder.Redirect.INHERIT).start();
        try (var out = new BufferedReader(new InputStreamReader(holder.getInputStream(), StandardCharsets.UTF_8))) {
            assertThat(out.readLine()).as("the other process's word that it holds the image").isEqualTo("held");

            assertThat(store.remove("hello")).isTrue();
            assertThat(store.find("hello")).isEmpty();
            assertThat(versions()).as("kept for the other process").hasSize(1);
            assertThat(store.removedButHeld()).extracting(Image::name).as("held by the other process").containsExactly("hello");
            assertThat(store.removedButHeld()).as("asked again: asking takes nothing").hasSize(1);

            holder.destroyForcibly(); // SIGKILL: the kernel lets go of its lock
            assertThat(holder.waitFor(30, TimeUnit.SECONDS)).isTrue();
            assertThat(store.removedButHeld()).as("held no more, though its files are not deleted yet").isEmpty();
            assertThat(versions()).hasSize(1);
        } finally {
            holder.destroyForcibly();
        }
        importOther(); // the next make, or removal, deletes what no process holds
        assertThat(versions()).as("the other image alone").hasSize(1);
    }

    @Test
    void anImageNoSandboxHoldsIsDeletedAtOnce() throws Exception {
        store.hold("hello").close();
        assertThat(store.remove("hello")).isTrue();
        assertThat(versions()).isEmpty();
        assertThat(store.removedButHeld()).isEmpty();
        assertThatThrownBy(() -> store.hold("hello")).isInstanceOf(ImageNotFoundException.class)
                .hasMessageContaining("unknown image 'hello'");
        assertThatThrownBy(() -> store.hold("nope")).isInstanceOf(ImageNotFoundException.class);
    }

    @Test
    void aLockFileOfAVersionGoneIsDeletedByTheNextMakeAndAHeldVersionsIsKept() throws Exception {
        // as a hold that lost its race with a removal leaves it
        Path uses = Files.createDirectories(dir.resolve("images/.uses"));
        Path stale = Files.createFile(uses.resolve("gone@1"));
        try (ImageHold held = store.hold("hello")) {
            importOther();
            assertThat(stale).doesNotExist();
            try (Stream<Path> files = Files.list(uses)) {
                assertThat(files.map(p -> p.getFileName().toString()).toList()).as("hello's, held")
                        .containsExactly(ImageUses.version(held.image()));
            }
        }
    }

    private void importOther() throws Exception {
        Path source = Files.createDirectories(dir.resolve("src-other/bin"));
        Files.writeString(source.resolve("other"), "other");
        store.importRootfs("other", source.getParent());
    }

    /** The versions of images the store keeps, named or not. */
    private List<Path> versions() {
        try (Stream<Path> entries = Files.list(dir.resolve("images/.images"))) {
            return entries.toList();
        } catch (java.io.IOException e) {
            throw new java.io.UncheckedIOException(e);
        }
    }

    private static boolean within(Duration bound, BooleanSupplier condition) throws InterruptedException {
        long end = System.nanoTime() + bound.toNanos();
        while (System.nanoTime() < end) {
            if (condition.getAsBoolean()) {
                return true;
            }
            Thread.sleep(50);
        }
        return condition.getAsBoolean();
    }

    /** Another process on the host: holds the image named, says so, and waits to be killed. */
    public static final class Holder {
        public static void main(String[] args) throws Exception {
            new LocalImageStore(Path.of(args[0])).hold(args[1]);
            System.out.println("held");
            System.out.flush();
            Thread.sleep(Long.MAX_VALUE);
        }
    }
}
