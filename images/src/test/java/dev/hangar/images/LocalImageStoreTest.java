package dev.hangar.images;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import dev.hangar.core.image.Image;
import dev.hangar.core.image.ImageNotFoundException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class LocalImageStoreTest {
    @TempDir
    Path dir;

    private LocalImageStore store() {
        return new LocalImageStore(dir.resolve("images"));
    }

    @Test
    void busyboxIsBuiltOnFirstUseAndKept() throws Exception {
        assumeTrue(Files.isExecutable(Path.of("/bin/busybox")), "busybox-static is not installed");
        var store = store();
        assertThat(store.madeOnFirstUse("busybox")).isTrue();
        Image image = store.resolve("busybox");
        assertThat(store.madeOnFirstUse("busybox")).as("made now").isFalse();
        assertThat(store.madeOnFirstUse("nosuch")).as("no built-in").isFalse();
        assertThat(image.rootfs().resolve("bin/busybox")).isExecutable();
        assertThat(Files.readSymbolicLink(image.rootfs().resolve("bin/sh"))).isEqualTo(Path.of("busybox"));
        assertThat(image.rootfs().resolve("work")).isDirectory();
        assertThat(image.source()).isEqualTo("built-in");
        assertThat(store.resolve("busybox").createdAt()).isEqualTo(image.createdAt());
        assertThat(store.list()).extracting(Image::name).containsExactly("busybox");
    }

    @Test
    void aDirectoryIsImportedAsAnImage() throws Exception {
        Path source = Files.createDirectories(dir.resolve("src/bin"));
        Files.writeString(source.resolve("hello"), "#!/bin/sh\necho hi\n");
        var store = store();
        Image image = store.importRootfs("hello", dir.resolve("src"));
        assertThat(image.rootfs().resolve("bin/hello")).hasContent("#!/bin/sh\necho hi");
        assertThat(image.sizeBytes()).isPositive();
        assertThat(store.names()).contains("hello", "busybox", "debian");
    }

    @Test
    void anImageIsFoundAsStoredWithoutBuildingOneAndAnImageMadeAgainIsAnotherVersion() throws Exception {
        Files.writeString(Files.createDirectories(dir.resolve("src/bin")).resolve("hello"), "v1");
        var store = store();
        assertThat(store.find("hello")).isEmpty();
        assertThat(store.find("busybox")).as("a built-in not made yet is not built").isEmpty();
        assertThat(store.find("Not A Name")).isEmpty();

        Image first = store.importRootfs("hello", dir.resolve("src"));
        assertThat(store.find("hello")).contains(first);
        store.remove("hello");
        assertThat(store.find("hello")).isEmpty();
        Thread.sleep(2); // two imports within one clock tick would look alike
        Image again = store.importRootfs("hello", dir.resolve("src"));
        assertThat(store.find("hello").orElseThrow().createdAt()).isAfter(first.createdAt()).isEqualTo(again.createdAt());
        assertThat(dir.resolve("images/busybox")).doesNotExist();
    }

    @Test
    void aTarballIsImportedAsAnImage() throws Exception {
        Path source = Files.createDirectories(dir.resolve("src/etc"));
        Files.writeString(source.resolve("motd"), "tarred");
        Path tar = dir.resolve("img.tar.gz");
        new ProcessBuilder("tar", "-czf", tar.toString(), "-C", dir.resolve("src").toString(), ".").start().waitFor();
        Image image = store().importRootfs("tarred", tar);
        assertThat(image.rootfs().resolve("etc/motd")).hasContent("tarred");
    }

    @Test
    void badNamesExistingNamesAndMissingSourcesAreRefusedAndLeaveNothing() throws Exception {
        var store = store();
        Files.createDirectories(dir.resolve("src/etc"));
        Files.writeString(dir.resolve("src/etc/hostname"), "box\n");
        Files.createDirectories(dir.resolve("empty"));
        Path notTar = dir.resolve("not-a-tar.gz");
        try (var gzip = new java.util.zip.GZIPOutputStream(Files.newOutputStream(notTar))) {
            gzip.write("plain text, not an archive".getBytes(java.nio.charset.StandardCharsets.UTF_8));
        }
        assertThatThrownBy(() -> store.importRootfs("Bad Name", dir.resolve("src"))).hasMessageStartingWith("name:");
        assertThatThrownBy(() -> store.importRootfs("x", dir.resolve("nope"))).hasMessage("source: " + dir.resolve("nope")
                + " does not exist");
        assertThatThrownBy(() -> store.importRootfs("x", dir.resolve("empty"))).hasMessageContaining("holds no files");
        assertThatThrownBy(() -> store.importRootfs("x", notTar)).hasMessageStartingWith("source:");
        assertThatThrownBy(() -> store.importRootfs("busybox", dir.resolve("src"))).hasMessageContaining("built-in");
        assertThatThrownBy(() -> store.importRootfs("x", dir.resolve("nope"))).hasMessageStartingWith("source:");
        store.importRootfs("once", dir.resolve("src"));
        assertThatThrownBy(() -> store.importRootfs("once", dir.resolve("src"))).hasMessageContaining("exists");
        assertThatThrownBy(() -> store.importRootfs("../escape", dir.resolve("src"))).hasMessageStartingWith("name:");
        try (var entries = Files.list(dir.resolve("images"))) {
            assertThat(entries.map(p -> p.getFileName().toString()).toList()).containsExactlyInAnyOrder("once", ".lock", ".images");
        }
        try (var versions = Files.list(dir.resolve("images/.images"))) {
            assertThat(versions.toList()).as("versions kept: once's alone").hasSize(1);
        }
    }

    @Test
    void aTarballThatFillsTheDiskIsTheHostsFaultNotTheSources() throws Exception {
        Path small = Files.createDirectories(dir.resolve("small"));
        Process mount = new ProcessBuilder("mount", "-t", "tmpfs", "-o", "size=1m", "tmpfs", small.toString())
                .redirectErrorStream(true).start();
        assumeTrue(mount.waitFor() == 0, "a file system to fill takes root: " + new String(mount.getInputStream().readAllBytes()));
        try {
            Path src = Files.createDirectories(dir.resolve("big-src"));
            Files.write(src.resolve("big"), new byte[4 * 1024 * 1024]);
            Path tar = dir.resolve("big.tar");
            assertThat(new ProcessBuilder("tar", "-cf", tar.toString(), "-C", src.toString(), ".").start().waitFor()).isZero();
            var store = new LocalImageStore(small.resolve("images"), List.of());

            // it was refused as a bad tarball (exit 2, "refused"), though the tarball was fine and the disk full
            assertThatThrownBy(() -> store.importRootfs("big", tar)).isInstanceOf(java.io.IOException.class)
                    .hasMessageContaining("tar -xf");
            assertThat(store.list()).isEmpty();
        } finally {
            new ProcessBuilder("umount", "--lazy", small.toString()).start().waitFor();
        }
    }

    @Test
    void aBrokenTarballLeavesNoHalfMadeImage() throws Exception {
        Path tar = Files.writeString(dir.resolve("broken.tar"), "not a tarball");
        var store = store();
        assertThatThrownBy(() -> store.importRootfs("broken", tar)).isInstanceOf(IllegalArgumentException.class)
                .hasMessageStartingWith("source: " + tar + " could not be unpacked: tar");
        assertThat(store.list()).isEmpty();
        try (var entries = Files.list(dir.resolve("images"))) {
            assertThat(entries.map(p -> p.getFileName().toString()).toList()).containsExactly(".lock");
        }
    }

    @Test
    void anUnknownImageNamesTheKnownOnes() {
        assertThatThrownBy(() -> store().resolve("nope")).isInstanceOf(ImageNotFoundException.class)
                .hasMessageContaining("unknown image 'nope'; known: busybox, debian");
    }

    @Test
    void removeDeletesTheImage() throws Exception {
        Files.createDirectories(dir.resolve("src/etc"));
        Files.writeString(dir.resolve("src/etc/hostname"), "box\n");
        var store = store();
        store.importRootfs("gone", dir.resolve("src"));
        assertThat(store.remove("gone")).isTrue();
        assertThat(store.remove("gone")).isFalse();
        assertThat(store.list()).isEmpty();
    }

    @Test
    void anImageWhoseWorkIsAFileIsRefusedNamingIt() throws Exception {
        Files.createDirectories(dir.resolve("src/bin"));
        Files.writeString(dir.resolve("src/work"), "not a directory");
        var store = store();

        assertThatThrownBy(() -> store.importRootfs("filed", dir.resolve("src")))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessageStartingWith("source: ").hasMessageContaining("has /work that is not a directory");
        assertThat(store.list()).isEmpty();
    }

    @Test
    void anImageWhoseEtcIsALinkOutOfItIsRefusedAndNothingIsWrittenThroughIt() throws Exception {
        Path outside = Files.createDirectories(dir.resolve("outside"));
        Path source = Files.createDirectories(dir.resolve("src/bin"));
        Files.writeString(source.resolve("hello"), "hi");
        Files.createSymbolicLink(dir.resolve("src/etc"), outside);
        var store = store();

        assertThatThrownBy(() -> store.importRootfs("linked", dir.resolve("src")))
                .hasMessageContaining("has /etc as a symbolic link (to " + outside + ")");
        try (var written = Files.list(outside)) {
            assertThat(written.toList()).as("files made through the link").isEmpty();
        }
        assertThat(store.list()).isEmpty();
    }

    @Test
    void anImageWhoseResolvConfIsALinkGetsAPlainFileThereForTheHostsToBeBoundOver() throws Exception {
        Path etc = Files.createDirectories(dir.resolve("src/etc"));
        Files.createSymbolicLink(etc.resolve("resolv.conf"), Path.of("../run/systemd/resolve/stub-resolv.conf"));
        Files.createSymbolicLink(etc.resolve("hosts"), Path.of("/nowhere/hosts"));

        Image image = store().importRootfs("resolved", dir.resolve("src"));

        // the links were kept, and binding the host's file onto them failed every job with a network
        for (String file : List.of("etc/resolv.conf", "etc/hosts")) {
            Path made = image.rootfs().resolve(file);
            assertThat(Files.isRegularFile(made, java.nio.file.LinkOption.NOFOLLOW_LINKS)).as(file).isTrue();
        }
    }

    @Test
    void anImageWhoseRecordIsDamagedIsLeftOutOfListsWithoutStoppingThemAndCanBeRemoved() throws Exception {
        Files.createDirectories(dir.resolve("src/etc"));
        var store = store();
        store.importRootfs("good", dir.resolve("src"));
        store.importRootfs("bad", dir.resolve("src"));
        Files.writeString(dir.resolve("images/bad/image.json"), ""); // as a power loss may leave it

        // each used to throw, and with them every job's check of its image name
        assertThat(store.list()).extracting(Image::name).containsExactly("good");
        assertThat(store.names()).contains("good").doesNotContain("bad");
        assertThat(store.find("bad")).isEmpty();
        assertThatThrownBy(() -> store.importRootfs("bad", dir.resolve("src"))).hasMessageContaining("remove it first");
        assertThat(store.remove("bad")).isTrue();
        assertThat(store.importRootfs("bad", dir.resolve("src")).name()).isEqualTo("bad");
    }

    @Test
    void whatACrashedProcessLeftIsNotListedAndIsSweptWhenTheNextImageIsMade() throws Exception {
        Path images = leaveWhatACrashLeaves();
        var store = store();
        assertThat(store.list()).isEmpty();
        assertThat(store.names()).doesNotContain("half");

        Files.createDirectories(dir.resolve("src/etc"));
        store.importRootfs("next", dir.resolve("src"));

        try (var entries = Files.list(images)) {
            assertThat(entries.map(p -> p.getFileName().toString()).toList()).containsExactlyInAnyOrder("next", ".lock", ".images");
        }
    }

    @Test
    void whatACrashedProcessLeftIsSweptWhenANodeStartsOnTheStore() throws Exception {
        Path images = leaveWhatACrashLeaves();
        Path unlinked = Files.createDirectories(images.resolve(".images/gone@1/rootfs"));

        store().sweep();

        try (var entries = Files.list(images)) {
            assertThat(entries.map(p -> p.getFileName().toString()).toList())
                    .noneMatch(name -> name.startsWith(".making-") || name.startsWith(".removing-"));
        }
        assertThat(unlinked.getParent()).as("a version no name links to and nothing holds").doesNotExist();
    }

    /** A half-made image and a half-removed one, as a process killed while making or removing leaves them. */
    private Path leaveWhatACrashLeaves() throws java.io.IOException {
        Path images = Files.createDirectories(dir.resolve("images"));
        for (String leftover : List.of(".removing-1234", ".making-half-5678")) {
            Files.createDirectories(images.resolve(leftover).resolve("rootfs"));
            Files.writeString(images.resolve(leftover).resolve("image.json"),
                    "{\"name\":\"half\",\"source\":\"x\",\"createdAt\":\"2026-01-01T00:00:00Z\",\"sizeBytes\":0}");
        }
        return images;
    }

    @Test
    void anImageOfAnOlderStoreADirectoryUnderItsNameIsReadHeldAndRemoved() throws Exception {
        Path legacy = Files.createDirectories(dir.resolve("images/legacy/rootfs/bin"));
        Files.writeString(legacy.resolve("hello"), "old");
        Files.writeString(dir.resolve("images/legacy/image.json"),
                "{\"name\":\"legacy\",\"source\":\"x\",\"createdAt\":\"2026-01-01T00:00:00Z\",\"sizeBytes\":3}");
        var store = store();

        assertThat(store.list()).extracting(Image::name).containsExactly("legacy");
        var held = store.hold("legacy");
        assertThat(held.image().rootfs().resolve("bin/hello")).hasContent("old");
        assertThat(store.remove("legacy")).isTrue();
        assertThat(store.find("legacy")).isEmpty();
        Path kept = dir.resolve("images/.images").resolve(ImageUses.version(held.image())).resolve("rootfs/bin/hello");
        assertThat(kept).as("its files, kept among the versions while held").hasContent("old");

        held.close();
        long deadline = System.nanoTime() + java.time.Duration.ofSeconds(10).toNanos();
        // deleted on another thread, its files first and its directory last: waited for whole
        while ((Files.exists(kept) || !leftOf(dir, "legacy").isEmpty()) && System.nanoTime() < deadline) {
            Thread.sleep(50);
        }
        assertThat(kept).doesNotExist();
        assertThat(leftOf(dir, "legacy")).as("nothing left of it, its lock file neither").isEmpty();
    }

    /** The entries of the store (two levels down) that name the image, or are left by a removal. */
    private static List<String> leftOf(Path dir, String image) throws java.io.IOException {
        try (var entries = Files.walk(dir.resolve("images"), 2)) {
            return entries.map(p -> p.getFileName().toString())
                    .filter(name -> name.contains(image) || name.startsWith(".removing-")).toList();
        }
    }

    @Test
    void anImageOfAnOlderStoreIsMovedAmongTheVersionsByTheNextMakeUnlessHeld() throws Exception {
        for (String name : List.of("older", "held")) {
            Files.createDirectories(dir.resolve("images").resolve(name).resolve("rootfs/etc"));
            Files.writeString(dir.resolve("images").resolve(name).resolve("image.json"), "{\"name\":\"" + name
                    + "\",\"source\":\"x\",\"createdAt\":\"2026-01-01T00:00:00Z\",\"sizeBytes\":0}");
        }
        var store = store();
        try (var held = store.hold("held")) {
            Files.createDirectories(dir.resolve("src/etc"));
            store.importRootfs("next", dir.resolve("src"));

            assertThat(Files.isSymbolicLink(dir.resolve("images/older"))).as("moved, its name a link").isTrue();
            assertThat(store.find("older").orElseThrow().rootfs()).startsWith(dir.resolve("images/.images"));
            assertThat(Files.isSymbolicLink(dir.resolve("images/held"))).as("held: left where its sandbox has it").isFalse();
            assertThat(held.image().rootfs()).isDirectory();
        }
        assertThat(store.list()).extracting(Image::name).containsExactly("held", "next", "older");
        try (var again = store.hold("older")) {
            assertThat(again.image().rootfs()).isDirectory();
        }
    }

    /** What a test's built-in does to its root file system once it has taken its time. */
    private interface Build {
        void into(Path rootfs) throws java.io.IOException;
    }

    /**
     * A built-in that counts its builds and takes 1.5 s: long enough for others to ask for it meanwhile, on a slow
     * host too.
     */
    private static BuiltinImage slowBuiltin(String name, java.util.concurrent.atomic.AtomicInteger builds, Build then) {
        return new BuiltinImage() {
            @Override
            public String name() {
                return name;
            }

            @Override
            public void build(Path rootfs) throws java.io.IOException {
                builds.incrementAndGet();
                try {
                    Thread.sleep(1500);
                } catch (InterruptedException e) {
                    Thread.currentThread().interrupt();
                }
                then.into(rootfs);
            }
        };
    }

    @Test
    void twoStoresOnOneRootMakeABuiltInImageOnce() throws Exception {
        var builds = new java.util.concurrent.atomic.AtomicInteger();
        BuiltinImage slow = slowBuiltin("slow", builds, rootfs -> Files.writeString(rootfs.resolve("made"), "once"));
        // as an agent and a hangar image command would: each its own store on the one root
        var first = new LocalImageStore(dir.resolve("images"), List.of(slow));
        var second = new LocalImageStore(dir.resolve("images"), List.of(slow));
        try (var both = java.util.concurrent.Executors.newVirtualThreadPerTaskExecutor()) {
            var a = both.submit(() -> first.resolve("slow"));
            var b = both.submit(() -> second.resolve("slow"));
            assertThat(a.get().rootfs().resolve("made")).hasContent("once");
            assertThat(b.get().rootfs()).isEqualTo(a.get().rootfs());
        }
        assertThat(builds).hasValue(1);
    }

    /** A built-in named "recipe" whose build writes its recipe's number into /made. */
    private static BuiltinImage builtByRecipe(int recipe) {
        return new BuiltinImage() {
            @Override
            public String name() {
                return "recipe";
            }

            @Override
            public int recipe() {
                return recipe;
            }

            @Override
            public void build(Path rootfs) throws java.io.IOException {
                Files.writeString(rootfs.resolve("made"), "recipe " + recipe);
            }
        };
    }

    @Test
    void aBuiltInMadeByAnOlderRecipeIsMadeAgainOnItsNextUseAndTheOlderGoesWhenItsSandboxLetsGo() throws Exception {
        var older = new LocalImageStore(dir.resolve("images"), List.of(builtByRecipe(1)));
        var held = older.hold("recipe");
        Path olderFiles = held.image().rootfs();
        assertThat(olderFiles.resolve("made")).hasContent("recipe 1");
        // what an image.json of a Hangar before recipes holds: no recipe, which is recipe 1
        Path record = olderFiles.resolveSibling("image.json");
        Files.writeString(record, Files.readString(record).replaceAll(",\\s*\"recipe\"\\s*:\\s*1", ""));
        assertThat(Files.readString(record)).doesNotContain("\"recipe\":");
        assertThat(older.resolve("recipe").rootfs()).as("the same recipe: kept").isEqualTo(olderFiles);

        // the node upgraded: its store on the same root has the built-in's next recipe
        var upgraded = new LocalImageStore(dir.resolve("images"), List.of(builtByRecipe(2)));
        assertThat(upgraded.madeOnFirstUse("recipe")).as("a job that names it waits for it").isTrue();
        Image remade = upgraded.resolve("recipe");
        assertThat(remade.rootfs().resolve("made")).hasContent("recipe 2");
        assertThat(upgraded.madeOnFirstUse("recipe")).isFalse();
        assertThat(upgraded.resolve("recipe")).isEqualTo(remade);
        assertThat(olderFiles.resolve("made")).as("its sandbox still runs on it").hasContent("recipe 1");

        held.close();
        long deadline = System.nanoTime() + java.time.Duration.ofSeconds(10).toNanos();
        while (Files.exists(olderFiles) && System.nanoTime() < deadline) { // deleted on another thread
            Thread.sleep(50);
        }
        assertThat(olderFiles).as("deleted once its last sandbox let go").doesNotExist();
        assertThat(upgraded.list()).extracting(Image::name).containsExactly("recipe");
    }

    @Test
    void jobsThatWaitedForABuiltInsFirstMakeFailWithItRatherThanEachMakeItAgain() throws Exception {
        var builds = new java.util.concurrent.atomic.AtomicInteger();
        var failing = new java.util.concurrent.atomic.AtomicBoolean(true);
        BuiltinImage slowToFail = slowBuiltin("mirrored", builds, rootfs -> {
            if (failing.get()) {
                throw new java.io.IOException("the mirror did not answer (test)");
            }
            Files.writeString(rootfs.resolve("made"), "made");
        });
        var store = new LocalImageStore(dir.resolve("images"), List.of(slowToFail));
        try (var jobs = java.util.concurrent.Executors.newVirtualThreadPerTaskExecutor()) {
            var waiting = new java.util.ArrayList<java.util.concurrent.Future<Image>>();
            for (int i = 0; i < 4; i++) {
                waiting.add(jobs.submit(() -> store.resolve("mirrored")));
            }
            for (var job : waiting) {
                assertThatThrownBy(job::get).hasRootCauseInstanceOf(java.io.IOException.class)
                        .hasMessageContaining("the mirror did not answer (test)");
            }
        }
        // each waiter made it again in turn: four makes of up to half an hour each against a mirror that failed
        assertThat(builds).hasValue(1);

        failing.set(false);
        assertThat(store.resolve("mirrored").rootfs().resolve("made")).as("a later use tries again").hasContent("made");
        assertThat(builds).hasValue(2);
    }

    @Test
    void aBuiltInWhoseNewerRecipeFailsToMakeKeepsRunningJobsOnTheOlderAndANewerOneIsNotUndone() throws Exception {
        Image older = new LocalImageStore(dir.resolve("images"), List.of(builtByRecipe(1))).resolve("recipe");
        BuiltinImage failing = new BuiltinImage() {
            @Override
            public String name() {
                return "recipe";
            }

            @Override
            public int recipe() {
                return 2;
            }

            @Override
            public void build(Path rootfs) throws java.io.IOException {
                throw new java.io.IOException("no space left on device (test)");
            }
        };
        var upgraded = new LocalImageStore(dir.resolve("images"), List.of(failing));
        // jobs on it failed for want of the new recipe's, though the older one runs them
        assertThat(upgraded.resolve("recipe")).isEqualTo(older);
        assertThat(upgraded.madeOnFirstUse("recipe")).as("not tried again for each job").isFalse();

        // a node of an older version on the same store leaves the newer recipe's image as it is
        Image newer = new LocalImageStore(dir.resolve("images"), List.of(builtByRecipe(3))).resolve("recipe");
        assertThat(newer.rootfs().resolve("made")).hasContent("recipe 3");
        var behind = new LocalImageStore(dir.resolve("images"), List.of(builtByRecipe(1)));
        assertThat(behind.resolve("recipe")).isEqualTo(newer);
    }

    @Test
    void aBuiltInThisHostCannotMakeIsNotOfferedUntilItIsMade() throws Exception {
        var toolThere = new java.util.concurrent.atomic.AtomicBoolean(false);
        BuiltinImage needsATool = new BuiltinImage() {
            @Override
            public String name() {
                return "tooled";
            }

            @Override
            public java.util.Optional<String> lacking() {
                return toolThere.get() ? java.util.Optional.empty() : java.util.Optional.of("the tool is not installed");
            }

            @Override
            public void build(Path rootfs) throws java.io.IOException {
                if (!buildable()) {
                    throw new java.io.IOException(lacking().orElseThrow());
                }
                Files.writeString(rootfs.resolve("made"), "yes");
            }
        };
        var store = new LocalImageStore(dir.resolve("images"), List.of(needsATool));
        assertThat(store.names()).as("a job naming it must go to a node that can make it").doesNotContain("tooled");
        assertThat(store.builtinNames()).contains("tooled");
        assertThat(store.lackingToMake("tooled")).as("hangar image ls says why").contains("the tool is not installed");
        assertThat(store.lackingToMake("no-such-builtin")).isEmpty();
        // held: the JDK keeps its loggers weakly
        var log = java.util.logging.Logger.getLogger(LocalImageStore.class.getName());
        var said = new java.io.ByteArrayOutputStream();
        var heard = new java.util.logging.StreamHandler(said, new java.util.logging.SimpleFormatter());
        log.addHandler(heard);
        try {
            assertThatThrownBy(() -> store.resolve("tooled")).hasMessageContaining("the tool is not installed");

            toolThere.set(true);
            assertThat(store.names()).contains("tooled");
            assertThat(store.lackingToMake("tooled")).isEmpty();
            store.resolve("tooled");
            toolThere.set(false); // removed after it was made: the image is still there
            assertThat(store.names()).contains("tooled");
            store.resolve("tooled");
        } finally {
            log.removeHandler(heard);
        }
        heard.flush();
        // a job waits minutes for debian on its first use: the node's log says why it does
        assertThat(said.toString(java.nio.charset.StandardCharsets.UTF_8))
                .containsOnlyOnce("could not make the built-in image tooled: the tool is not installed")
                .contains("the built-in image tooled is not made yet in " + dir.resolve("images") + ": making it")
                .containsOnlyOnce("made the built-in image tooled in ");
    }

    @Test
    void whatAToolInItsOwnMountsMountedGoesWithItWhenItIsStoppedAtItsBound() throws Exception {
        assumeTrue("root".equals(System.getProperty("user.name")), "mounting needs root, as debootstrap does");
        Path target = Files.createDirectories(dir.resolve("scratch/rootfs/proc"));
        try {
            // as debootstrap does: it mounts in the image it makes, and unmounts only as it exits
            String marker = "30." + System.nanoTime() % 1_000_000;
            assertThatThrownBy(() -> HostCommand.runInOwnMounts(List.of("sh", "-c", "mount -t tmpfs hangar-test "
                    + target + " && touch " + target + "/mounted && sleep " + marker), 2))
                    .hasMessage("sh did not finish in 2 s");
            // its mounts are in a namespace of its own, there until its last process ends: each must be stopped
            long deadline = System.nanoTime() + java.time.Duration.ofSeconds(10).toNanos();
            while (ProcessHandle.allProcesses().anyMatch(process -> process.info().arguments()
                    .map(arguments -> List.of(arguments).contains(marker)).orElse(false))) {
                assertThat(System.nanoTime()).as("the tool's sleep, stopped within 10 s").isLessThan(deadline);
                Thread.sleep(50);
            }

            assertThat(Files.readString(Path.of("/proc/self/mountinfo"))).as("mounted on the host still")
                    .doesNotContain(target.toString());
            LocalImageStore.deleteTree(dir.resolve("scratch")); // as a make that failed deletes its scratch directory
            assertThat(dir.resolve("scratch")).doesNotExist();
        } finally {
            new ProcessBuilder("umount", "-l", target.toString()).start().waitFor(); // should the test fail
        }
    }

    @Test
    void aHostToolThatHangsIsStoppedAtItsBound() {
        assertThatThrownBy(() -> HostCommand.run(List.of("sleep", "30"), 1)).hasMessage("sleep did not finish in 1 s");
    }

    @Test
    void theMirrorComesFromAptSources() {
        assertThat(DebianImage.firstMirror("Types: deb\nURIs: http://deb.debian.org/debian\nSuites: bookworm\n"))
                .contains("http://deb.debian.org/debian");
        assertThat(DebianImage.firstMirror("deb http://security.debian.org/ bookworm-security main\n"
                + "deb [arch=amd64] http://mirror.example/debian bookworm main\n")).contains("http://mirror.example/debian");
        assertThat(List.of(DebianImage.mirror())).first().asString().startsWith("http");
        // without the suite's check an Ubuntu host's archive was taken, which has no bookworm
        assertThat(DebianImage.firstMirror("deb http://archive.ubuntu.com/ubuntu jammy main\n")).isEmpty();
        assertThat(DebianImage.firstMirror("Types: deb\nURIs: http://deb.debian.org/debian-security\n"
                + "Suites: bookworm-security\n\nTypes: deb\nURIs: http://ftp.example/debian\nSuites: bookworm bookworm-updates\n"))
                .contains("http://ftp.example/debian");
    }

    @Test
    void theDebianImageIsMadeOfPackagesCheckedAgainstTheArchivesKeyring() {
        // without the flags debootstrap only warned where no keyring was found, and went on over plain http
        assertThat(DebianImage.command(Path.of("/tmp/rootfs"), "http://deb.debian.org/debian"))
                .contains("--force-check-gpg", "--keyring=" + DebianImage.KEYRING);
    }
}
