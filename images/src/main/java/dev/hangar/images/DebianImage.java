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
 * works where only the Debian archive is reachable. Takes about a minute; made once, then kept.
 */
final class DebianImage implements BuiltinImage {
    private static final String SUITE = "bookworm";
    /** A one-line source: {@code deb [options] URI SUITE COMPONENTS...}. */
    private static final Pattern ONE_LINE = Pattern.compile("(?m)^\\s*deb\\s+(?:\\[[^]]*]\\s+)?(https?://\\S+)\\s+(\\S+)");
    /** The fields of a deb822 stanza (debian.sources). */
    private static final Pattern URIS = Pattern.compile("(?m)^\\s*URIs:\\s*(https?://\\S+)");
    private static final Pattern SUITES = Pattern.compile("(?m)^\\s*Suites:\\s*(.+)$");
    /**
     * What the archive's Release files are checked against. Why forced: without a keyring debootstrap only warns and
     * goes on, over plain http, and the packages' scripts run as root on the node as it makes the image.
     */
    static final Path KEYRING = Path.of("/usr/share/keyrings/debian-archive-keyring.gpg");

    @Override
    public String name() {
        return "debian";
    }

    private static final Path DEBOOTSTRAP = Path.of("/usr/sbin/debootstrap");

    @Override
    public Optional<String> lacking() {
        if (!Files.isExecutable(DEBOOTSTRAP)) {
            return Optional.of("debootstrap not found: install the debootstrap package to build the debian image");
        }
        if (!Files.isReadable(KEYRING)) {
            return Optional.of(KEYRING + " not found: install the debian-archive-keyring package to build the debian"
                    + " image (its packages are checked against it)");
        }
        return Optional.empty();
    }

    @Override
    public void build(Path rootfs) throws IOException {
        Optional<String> lacking = lacking();
        if (lacking.isPresent()) {
            throw new IOException(lacking.get());
        }
        HostCommand.runInOwnMounts(command(rootfs, mirror()), 1800);
    }

    static List<String> command(Path rootfs, String mirror) {
        return List.of(DEBOOTSTRAP.toString(), "--variant=minbase", "--force-check-gpg", "--keyring=" + KEYRING, SUITE,
                rootfs.toString(), mirror);
    }

    /** The mirror apt uses for the image's suite, else the default one. */
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

    /**
     * The first source of the image's suite in these sources, deb822 stanzas or one-line entries. Why by suite: the
     * first source of all may be another distribution's (an Ubuntu host's archive has no bookworm) or its security
     * archive.
     */
    static Optional<String> firstMirror(String sources) {
        for (String stanza : sources.split("\\n\\s*\\n")) {
            Matcher uris = URIS.matcher(stanza);
            Matcher suites = SUITES.matcher(stanza);
            if (uris.find() && suites.find() && List.of(suites.group(1).trim().split("\\s+")).contains(SUITE)) {
                return Optional.of(uris.group(1));
            }
        }
        Matcher line = ONE_LINE.matcher(sources);
        while (line.find()) {
            if (line.group(2).equals(SUITE)) {
                return Optional.of(line.group(1));
            }
        }
        return Optional.empty();
    }
}
