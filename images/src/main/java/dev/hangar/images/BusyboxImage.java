package dev.hangar.images;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.util.List;
import java.util.Optional;

/**
 * {@code busybox}: the static busybox from Debian's busybox-static package and a link per applet.
 * A few hundred kilobytes, made in milliseconds: the default image of container jobs.
 */
final class BusyboxImage implements BuiltinImage {
    private static final List<Path> CANDIDATES = List.of(Path.of("/bin/busybox"), Path.of("/usr/bin/busybox"));

    @Override
    public String name() {
        return "busybox";
    }

    private static final String LACKING = "busybox not found: install the busybox-static package";

    /** 2: the {@code job} user (99000), whom a root agent's container jobs run as. */
    @Override
    public int recipe() {
        return 2;
    }

    @Override
    public Optional<String> lacking() {
        return CANDIDATES.stream().anyMatch(Files::isExecutable) ? Optional.empty() : Optional.of(LACKING);
    }

    @Override
    public void build(Path rootfs) throws IOException {
        Path busybox = CANDIDATES.stream().filter(Files::isExecutable).findFirst().orElseThrow(() -> new IOException(LACKING));
        Path bin = Files.createDirectories(rootfs.resolve("bin"));
        Files.copy(busybox, bin.resolve("busybox"), StandardCopyOption.COPY_ATTRIBUTES);
        for (String line : HostCommand.run(List.of(busybox.toString(), "--list"), 30).split("\n")) {
            String applet = line.strip();
            if (!applet.isEmpty() && !applet.equals("busybox") && !applet.contains("/")) {
                Files.createSymbolicLink(bin.resolve(applet), Path.of("busybox"));
            }
        }
        Files.createSymbolicLink(rootfs.resolve("sbin"), Path.of("bin"));
        Path usr = Files.createDirectories(rootfs.resolve("usr"));
        Files.createSymbolicLink(usr.resolve("bin"), Path.of("../bin"));
        Files.createSymbolicLink(usr.resolve("sbin"), Path.of("../bin"));
        Path etc = Files.createDirectories(rootfs.resolve("etc"));
        // a job's user: 1000 in a user namespace or under a rootless runtime, 99000 under a root agent (HostUser)
        Files.writeString(etc.resolve("passwd"), "root:x:0:0:root:/root:/bin/sh\n"
                + "hangar:x:1000:1000:hangar:/work:/bin/sh\njob:x:99000:99000:job:/work:/bin/sh\n"
                + "nobody:x:65534:65534:nobody:/:/bin/false\n");
        Files.writeString(etc.resolve("group"), "root:x:0:\nhangar:x:1000:\njob:x:99000:\nnogroup:x:65534:\n");
    }
}
