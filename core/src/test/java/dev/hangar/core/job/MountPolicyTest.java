package dev.hangar.core.job;

import static org.assertj.core.api.Assertions.assertThat;

import dev.hangar.core.runtime.Mount;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class MountPolicyTest {
    @TempDir
    Path dir;

    private List<String> fields(MountPolicy policy, Mount... mounts) {
        return policy.check(java.util.Arrays.asList(mounts)).stream().map(e -> e.field() + ": " + e.reason()).toList();
    }

    @Test
    void aPathUnderAnAllowedRootIsAccepted() throws Exception {
        Path data = Files.createDirectories(dir.resolve("allowed/data"));
        var policy = MountPolicy.onThisHost(List.of(dir.resolve("allowed")));
        assertThat(policy.check(List.of(new Mount(data.toString(), "/data", true)))).isEmpty();
    }

    @Test
    void withNoAllowedRootsEveryMountIsRefused() throws Exception {
        Path data = Files.createDirectories(dir.resolve("data"));
        assertThat(fields(MountPolicy.none(), new Mount(data.toString(), "/data", true)))
                .singleElement().asString().startsWith("mounts[0].hostPath: no host mounts are allowed here");
    }

    @Test
    void dotDotEscapesAreRefused() throws Exception {
        Files.createDirectories(dir.resolve("allowed"));
        Files.createDirectories(dir.resolve("secret"));
        var policy = MountPolicy.onThisHost(List.of(dir.resolve("allowed")));
        String escape = dir.resolve("allowed") + "/../secret";
        assertThat(fields(policy, new Mount(escape, "/data", false)))
                .singleElement().asString().startsWith("mounts[0].hostPath:").contains("is not under an allowed host path");
    }

    @Test
    void dotDotUnderAnAllowedRootIsRefusedAsWrittenWhereverALinkBeforeItLeads() throws Exception {
        Path allowed = Files.createDirectories(dir.resolve("allowed"));
        Path secret = Files.createDirectories(dir.resolve("secret"));
        Files.writeString(secret.resolve("key"), "x");
        Files.createSymbolicLink(allowed.resolve("l"), secret);
        var policy = MountPolicy.onThisHost(List.of(allowed));

        // the kernel follows l, then '..': secret/../secret/key exists, secret/../secret/none does not; the answers
        // told so (accepted, or "does not exist") of a path outside the allowed ones
        for (String path : new String[] {"/l/../secret/key", "/l/../secret/none", "/./x"}) {
            assertThat(policy.check(List.of(new Mount(allowed + path, "/data", true)))).as(path).singleElement()
                    .satisfies(e -> assertThat(e.reason()).contains("must be written without '.' or '..'"));
        }
    }

    @Test
    void symlinksOutOfAnAllowedRootAreRefused() throws Exception {
        Files.createDirectories(dir.resolve("allowed"));
        Path secret = Files.createDirectories(dir.resolve("secret"));
        Path link = Files.createSymbolicLink(dir.resolve("allowed/link"), secret);
        var policy = MountPolicy.onThisHost(List.of(dir.resolve("allowed")));
        assertThat(fields(policy, new Mount(link.toString(), "/data", true)))
                .singleElement().asString().contains("leads through a link to a path that is not under an allowed host path")
                .as("where it leads is not told").doesNotContain(secret.toString());
        Files.writeString(secret.resolve("there"), "");
        String existing = fields(policy, new Mount(link + "/there", "/data", true)).getFirst();
        String missing = fields(policy, new Mount(link + "/not-there", "/data", true)).getFirst();
        assertThat(missing.replace("not-there", "there")).as("whether a path out there exists is not told either")
                .isEqualTo(existing).contains("leads through a link");
    }

    @Test
    void aPathOutsideTheRootsIsRefusedAsWrittenWithoutLookingAtTheHost() throws Exception {
        var policy = MountPolicy.onThisHost(List.of(Files.createDirectories(dir.resolve("allowed"))));
        List<String> reasons = new java.util.ArrayList<>();
        for (String path : List.of("/etc/passwd", "/no/such/path", "/proc/self/cwd")) {
            List<FieldError> errors = policy.check(List.of(new Mount(path, "/data", true)));
            assertThat(errors).as(path).singleElement().satisfies(e -> assertThat(e.reason())
                    .isEqualTo("'" + path + "' is not under an allowed host path " + policy.allowedRoots()));
            reasons.add(errors.getFirst().reason().replace(path, "P"));
        }
        assertThat(reasons).as("an existing file, a missing one and a link read alike").containsOnly(reasons.getFirst());
    }

    @Test
    void byNameAPathNeedNotExistHereAndIsMatchedAsWrittenWithDotDotResolved() {
        var policy = new MountPolicy(List.of(dir.resolve("on-a-node")));
        String root = dir.resolve("on-a-node").toString();
        assertThat(policy.checkByName(List.of(new Mount(root + "/set1", "/data", true)))).isEmpty();
        assertThat(policy.checkByName(List.of(new Mount(root + "/../secret", "/data", true))))
                .singleElement().satisfies(e -> assertThat(e.reason()).contains("is not under an allowed host path"));
        assertThat(policy.check(List.of(new Mount(root + "/set1", "/data", true))))
                .as("on this host it must exist").singleElement()
                .satisfies(e -> assertThat(e.reason()).endsWith("does not exist"));
        assertThat(MountPolicy.byName("/srv/./data/../models/")).isEqualTo("/srv/models");
        assertThat(MountPolicy.namesForLease(List.of("/srv/a/../b", "/srv/c"))).containsExactly("/srv/b", "/srv/c");
        assertThat(MountPolicy.namesForLease(java.util.Arrays.asList("/srv/a", null))).isEmpty();
        assertThat(MountPolicy.namesForLease(List.of("/srv/a", "relative"))).isEmpty();
        assertThat(MountPolicy.namesForLease(List.of("/srv/a\0/etc"))).isEmpty();
    }

    @Test
    void rootsAsNamedKeepTheirLinksAndRootsOnThisHostResolveThem() throws Exception {
        Path target = Files.createDirectories(dir.resolve("target"));
        Path link = Files.createSymbolicLink(dir.resolve("link"), target);

        var named = new MountPolicy(List.of(link));
        assertThat(named.allowedRoots()).as("another host's root: this host's links say nothing of it")
                .containsExactly(link);
        assertThat(named.checkByName(List.of(new Mount(link + "/set1", "/data", true)))).isEmpty();
        assertThat(named.checkByName(List.of(new Mount(target + "/set1", "/data", true)))).hasSize(1);
        assertThat(MountPolicy.onThisHost(List.of(link)).allowedRoots()).containsExactly(target.toRealPath(), link);
    }

    @Test
    void aRootThatIsALinkLetsAJobNameAPathThroughItOrItsTargetAndNothingElse() throws Exception {
        Path target = Files.createDirectories(dir.resolve("disk/data"));
        Path set = Files.createDirectories(target.resolve("set1"));
        Path secret = Files.createDirectories(dir.resolve("secret"));
        Path link = Files.createSymbolicLink(dir.resolve("data"), target);
        Files.createSymbolicLink(target.resolve("escape"), secret);
        var policy = MountPolicy.onThisHost(List.of(link));

        for (String path : List.of(link + "/set1", set.toString())) {
            assertThat(policy.check(List.of(new Mount(path, "/data", true)))).as(path).isEmpty();
            assertThat(policy.checkByName(List.of(new Mount(path, "/data", true)))).as(path).isEmpty();
        }
        assertThat(fields(policy, new Mount(link + "/escape", "/data", true)))
                .singleElement().asString().contains("is not under an allowed host path");
        assertThat(MountPolicy.onThisHost(List.of(Path.of(link + "/../disk/data"))).allowedRoots())
                .as("a name with '..' is only resolved").containsExactly(target.toRealPath());
    }

    @Test
    void sandboxPathsMustBeAbsoluteAndNotTheRuntimesOwn() throws Exception {
        Path data = Files.createDirectories(dir.resolve("allowed"));
        var policy = MountPolicy.onThisHost(List.of(data));
        assertThat(fields(policy, new Mount(data.toString(), "relative", true), new Mount(data.toString(), "/proc", true),
                new Mount(data.toString(), "/data/../etc", true), new Mount(data.toString(), "/ok", true),
                new Mount(data.toString(), "/run/hangar-init", true), new Mount(data.toString(), "/run/hangar-init/x", true),
                new Mount(data.toString(), "/run/other", true), new Mount(data.toString(), "/run", true)))
                .containsExactly("mounts[0].sandboxPath: must be an absolute, normalized path without '..'",
                        "mounts[1].sandboxPath: '/proc' is the runtime's own; choose another path",
                        "mounts[2].sandboxPath: must be an absolute, normalized path without '..'",
                        "mounts[4].sandboxPath: '/run/hangar-init' is the runtime's own; choose another path",
                        "mounts[5].sandboxPath: '/run/hangar-init/x' is the runtime's own; choose another path",
                        "mounts[7].sandboxPath: '/run' is the runtime's own; choose another path");
    }

    @Test
    void twoMountsOnOneSandboxPathAreRefusedAndAMissingPathIsNamed() throws Exception {
        Path data = Files.createDirectories(dir.resolve("allowed"));
        var policy = MountPolicy.onThisHost(List.of(data));
        assertThat(fields(policy, new Mount(data.toString(), "/x", true), new Mount(data.toString(), "/y", true),
                new Mount(data.toString(), "/x", false), new Mount(null, "/z", true), new Mount(data.toString(), null, true),
                null))
                .containsExactly("mounts[2].sandboxPath: '/x' is mounts[0]'s too; each mount needs a path of its own",
                        "mounts[3].hostPath: is required", "mounts[4].sandboxPath: is required",
                        "mounts[5]: must not be null");
    }

    @Test
    void aNulInEitherPathIsAFieldErrorNotAnException() throws Exception {
        Path data = Files.createDirectories(dir.resolve("allowed"));
        var policy = MountPolicy.onThisHost(List.of(data));
        assertThat(fields(policy, new Mount(data.toString(), "/a\0b", true), new Mount(data + "\0x", "/ok", true)))
                .containsExactly("mounts[0].sandboxPath: must not contain a NUL character",
                        "mounts[1].hostPath: must not contain a NUL character");
    }

    @Test
    void aCommaOrAControlCharacterInEitherPathIsRefused() throws Exception {
        Path data = Files.createDirectories(dir.resolve("allowed"));
        Path odd = Files.createDirectories(dir.resolve("allowed/a,b"));
        var policy = MountPolicy.onThisHost(List.of(data));
        // with ctr's --mount "type=bind,src=H,dst=S,...", a comma in S would mount the host's /etc
        assertThat(fields(policy, new Mount(data.toString(), "/x,src=/etc", false), new Mount(odd.toString(), "/ok", true),
                new Mount(data.toString(), "/a\nb", true)))
                .containsExactly("mounts[0].sandboxPath: must not contain a comma or a control character",
                        "mounts[1].hostPath: must not contain a comma or a control character",
                        "mounts[2].sandboxPath: must not contain a comma or a control character");
    }

    @Test
    void aPathThisHostCannotNameIsAFieldErrorNotAnException() throws Exception {
        Path data = Files.createDirectories(dir.resolve("allowed"));
        var policy = MountPolicy.onThisHost(List.of(data));
        assertThat(fields(policy, new Mount(data.toString(), "/m\ud800", true), new Mount(data + "/\ud800", "/ok", true)))
                .containsExactly("mounts[0].sandboxPath: holds a lone UTF-16 surrogate (\\uD800 at character 2), which is"
                        + " no character and cannot be passed on", "mounts[1].hostPath: holds a lone UTF-16 surrogate"
                        + " (\\uD800 at character " + (data.toString().length() + 1) + "), which is no character and cannot be"
                        + " passed on");
        assertThat(MountPolicy.namesForLease(List.of("/data/\ud800"))).as("fits any node, which refuses it").isEmpty();
    }

    @Test
    void tooManyMountsAreOneErrorRatherThanOneForEachEntry() {
        var policy = MountPolicy.onThisHost(List.of(dir));
        Mount[] mounts = new Mount[1000];
        java.util.Arrays.fill(mounts, null);
        assertThat(fields(policy, mounts)).containsExactly("mounts: has more than 32 entries");
    }

    @Test
    void missingHostPathsAreRefused() {
        var policy = MountPolicy.onThisHost(List.of(dir));
        assertThat(fields(policy, new Mount(dir.resolve("nope").toString(), "/data", true)))
                .singleElement().asString().contains("does not exist");
    }
}
