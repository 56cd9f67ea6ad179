package dev.hangar.cli;

import dev.hangar.core.image.Image;
import dev.hangar.core.json.Json;
import dev.hangar.images.LocalImageStore;
import java.io.PrintWriter;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;

/** {@code hangar image}: this node's images, without a registry. */
@Command(name = "image", description = "Manage this node's images (no registry needed).",
        subcommands = {ImageCommand.Import.class, ImageCommand.Ls.class, ImageCommand.Rm.class, ImageCommand.Build.class})
final class ImageCommand {
    private static final String KEPT = "kept while a sandbox on this host runs on it, deleted when the last one ends";

    /** The node's store, found the way {@code hangar up} finds its data directory. */
    static final class StoreOptions {
        @Option(names = "--data-dir", description = "The node's data directory (default: $HANGAR_HOME, else ~/.hangar)")
        Path dataDir;

        LocalImageStore store() {
            var node = new NodeOptions();
            node.dataDir = dataDir;
            return new LocalImageStore(node.usableDataDir().resolve("images"));
        }
    }

    /** Slow image work, with a progress line; prints the image made. */
    private interface ImageWork {
        Image make() throws Exception;
    }

    private static int report(String what, ImageWork work) throws Exception {
        Image image;
        try (var progress = new Progress(System.err, () -> what)) {
            image = work.make();
        }
        System.out.println(image.name() + " " + image.sizeBytes() / 1024 + " KiB");
        return 0;
    }

    @Command(name = "import", description = "Import a root filesystem (a directory or a tarball) as image NAME.")
    static final class Import implements Callable<Integer> {
        @Mixin
        StoreOptions options;

        @Parameters(index = "0", paramLabel = "NAME", description = "The image's name: lower-case letters, digits, '.', '_', '-'")
        String name;

        @Parameters(index = "1", paramLabel = "DIR|TAR", description = "A root filesystem: a directory, or a tarball (.tar, .tar.gz, .tar.xz)")
        Path source;

        @Override
        public Integer call() throws Exception {
            return report("importing " + source, () -> options.store().importRootfs(name, source));
        }
    }

    @Command(name = "build", description = "Make a built-in image now (busybox, debian) instead of on first use.")
    static final class Build implements Callable<Integer> {
        @Mixin
        StoreOptions options;

        @Parameters(paramLabel = "NAME", description = "A built-in image: busybox or debian")
        String name;

        @Override
        public Integer call() throws Exception {
            LocalImageStore store = options.store();
            if (!store.builtinNames().contains(name)) {
                // why: resolve would just list an imported image of the name, built or not
                throw new IllegalArgumentException("NAME: '" + name + "' is not a built-in image (built in: "
                        + String.join(", ", store.builtinNames()) + "); an image of your own is made with 'hangar image import'");
            }
            return report("building " + name, () -> store.resolve(name));
        }
    }

    @Command(name = "ls", description = "List images; built-in ones not made yet are marked, and removed ones whose"
            + " files a running sandbox keeps.")
    static final class Ls implements Callable<Integer> {
        @Mixin
        StoreOptions options;

        @Option(names = "--json", description = "Print JSON")
        boolean json;

        @Override
        public Integer call() {
            LocalImageStore store = options.store();
            List<Image> images = store.list();
            if (json) {
                System.out.println(Json.write(images));
                return 0;
            }
            var rows = new ArrayList<List<String>>();
            for (Image image : images) {
                rows.add(List.of(image.name(), image.sizeBytes() / 1024 + " KiB", image.createdAt().toString(), image.source()));
            }
            for (String builtin : store.builtinNames()) {
                if (images.stream().noneMatch(i -> i.name().equals(builtin))) {
                    // why said: a job naming one this node cannot make is never placed here
                    rows.add(List.of(builtin, "-", "-", store.lackingToMake(builtin)
                            .map(lacking -> "built-in, cannot be made here: " + lacking).orElse("built-in, made on first use")));
                }
            }
            for (Image removed : store.removedButHeld()) {
                rows.add(List.of(removed.name() + " (removed)", removed.sizeBytes() / 1024 + " KiB", removed.createdAt().toString(),
                        KEPT));
            }
            Tables.print(new PrintWriter(System.out, true), List.of("NAME", "SIZE", "CREATED", "SOURCE"), rows);
            return 0;
        }
    }

    @Command(name = "rm", description = "Remove an image.")
    static final class Rm implements Callable<Integer> {
        @Mixin
        StoreOptions options;

        @Parameters(paramLabel = "NAME", description = "An image of this node")
        String name;

        @Override
        public Integer call() throws Exception {
            LocalImageStore store = options.store();
            var before = store.find(name); // the version removed: the one whose files may be kept
            if (!store.remove(name)) {
                System.err.println("hangar: " + (store.builtinNames().contains(name)
                        ? "image '" + name + "' is built in and not made yet: nothing to remove"
                        : "no image '" + name + "'"));
                return 2; // nothing named so to remove: refused, as a job not found is
            }
            System.out.println("removed " + name);
            before.filter(store.removedButHeld()::contains).ifPresent(kept ->
                    System.out.println("its files (" + kept.sizeBytes() / 1024 + " KiB) are " + KEPT));
            return 0;
        }
    }
}
