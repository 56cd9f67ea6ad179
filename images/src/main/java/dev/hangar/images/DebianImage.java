package dev.hangar.images;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Optional;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * {@code debian}: a minimal Debian made with debootstrap from the mirror apt already uses, so it
 * works where only the Debian archive is reachable. Takes minutes; made once, then kept.
 */
final class DebianImage implements BuiltinImage {
    private static final String SUITE = "bookworm";
    private static final Pattern URI = Pattern.compile("(?m)^\\s*(?:URIs:|deb)\\s+(?:\\[[^]]*]\\s+)?(https?://\\S+)");

    @Override
    public String name() {
        return "debian";
    }

    private static final Path DEBOOTSTRAP = Path.of("/usr/sbin/debootstrap");

    @Override
    public boolean buildable() {
        return Files.isExecutable(DEBOOTSTRAP);
    }

    @Override
    public void build(Path rootfs) throws IOException {
        if (!buildable()) {
            throw new IOException("debootstrap not found: install the debootstrap package to build the debian image");
        }
        HostCommand.run(List.of(DEBOOTSTRAP.toString(), "--variant=minbase", SUITE, rootfs.toString(), mirror()), 1800);
    }

    /** The first Debian mirror in apt's sources, else the default one. */
    static String mirror() {
        for (Path sources : List.of(Path.of("/etc/apt/sources.list.d/debian.sources"), Path.of("/etc/apt/sources.list"))) {
            try {
                Optional<String> found = firstMirror(Files.readString(sources));
                if (found.isPresent()) {
                    return found.get();
                }
            } catch (IOException e) {
                // try the next file
            }
        }
        return "http://deb.debian.org/debian";
    }

    static Optional<String> firstMirror(String sources) {
        Matcher m = URI.matcher(sources);
        while (m.find()) {
            if (!m.group(1).contains("security")) {
                return Optional.of(m.group(1));
            }
        }
        return Optional.empty();
    }
}
