package dev.hangar.runtime.gvisor;

import dev.hangar.core.runtime.ProcessSpec;
import dev.hangar.core.runtime.Sandbox;
import dev.hangar.core.runtime.SandboxException;
import dev.hangar.core.runtime.SandboxSpec;
import dev.hangar.core.runtime.Snapshotting;
import dev.hangar.runtime.support.LauncherScript;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.HexFormat;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.ThreadLocalRandom;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;

/**
 * Snapshot templates on gVisor's own checkpoint/restore: a template sandbox boots once, runs a
 * prepare step, and waits for a job exactly where a prestarted sandbox's launcher waits; {@code
 * runsc checkpoint} saves it; each {@code runsc restore} of the image is a new sandbox whose
 * launcher continues from that wait, reads its job from the new runsc's stdin and writes to its
 * stdout and stderr (verified on this host with runsc 2022-12-19, ptrace platform).
 *
 * <p>What carries over: the template's files in /work and /tmp (tmpfs, saved in the image),
 * processes the prepare step left running, the shell's memory, and its environment (the prepare
 * step's variables are the template's). What a restore sets anew: the host cgroups around the
 * sandbox (memory, CPU) and the fork log; everything else the kernel restores as saved, hence the
 * spec checks in {@link SnapshotManifest}.
 *
 * <p>Why the template is started here and not through {@code prestart()}: its stdin must stay open
 * until the checkpoint (a launcher reading end of file exits before it is saved), and the one-process
 * lifecycle closes a job's stdin once fed. Its stdio are pipes like every sandbox's: runsc restores
 * a saved host file as the kind it was, so a template saved with a regular file as stdout fails
 * every write after a restore onto a pipe ("Illegal seek", measured).
 */
public final class GvisorSnapshots implements Snapshotting {
    /** Bound on the template's boot and prepare step when the caller gives none. */
    public static final Duration DEFAULT_PREPARE_BOUND = Duration.ofMinutes(5);
    private static final Duration CHECKPOINT_BOUND = Duration.ofSeconds(60);
    private static final int KEPT_OUTPUT = 4000;
    private static final String TEMPLATE_MARKER = "hangar-template:";
    private static final String SNAPSHOT_PREFIX = "snap-";
    /**
     * Runs the prepare line in a subshell (its exec ends only the subshell), says "prepared" with the
     * random mark in $1, then waits as {@link LauncherScript}'s program does.
     */
    private static final String TEMPLATE_PROGRAM = "nl='\n'; IFS= read -r prep || exit " + LauncherScript.NO_JOB
            + "; (eval \"$prep\") </dev/null || exit $?; echo \"$1\"; IFS= read -r job || exit "
            + LauncherScript.NO_JOB + "; eval \"$job\"";

    private final GvisorRuntime runtime;
    private final Path dir;
    /** Images whose checksum was checked, by path, with the size and time it had then. */
    private final Map<Path, String> verified = new ConcurrentHashMap<>();
    /**
     * The lock this process holds on each of its templates' directories, as a sandbox holds one on
     * its bundle: a directory without a holder is a crashed process's checkpoint, swept at start.
     */
    private final Map<String, java.nio.channels.FileChannel> held = new ConcurrentHashMap<>();

    GvisorSnapshots(GvisorRuntime runtime, Path dir) {
        this.runtime = runtime;
        this.dir = dir;
    }

    /** Saves {@code sandbox} as it boots, with no prepare step. See {@link #snapshot(Sandbox, ProcessSpec, Duration)}. */
    @Override
    public Snapshot snapshot(Sandbox sandbox) throws SandboxException {
        return snapshot(sandbox, null, DEFAULT_PREPARE_BOUND);
    }

    /**
     * Makes {@code sandbox} a template and saves it: boots it, runs {@code prepare} in it (if not
     * null; its environment becomes every restored job's, its files and background processes stay),
     * then checkpoints it with its launcher waiting. The sandbox, READY and never prestarted or
     * used, is used up: it is destroyed whether this succeeds or not.
     *
     * @param bound how long boot and prepare step may take together
     */
    public Snapshot snapshot(Sandbox sandbox, ProcessSpec prepare) throws SandboxException {
        return snapshot(sandbox, prepare, DEFAULT_PREPARE_BOUND);
    }

    public Snapshot snapshot(Sandbox sandbox, ProcessSpec prepare, Duration bound) throws SandboxException {
        if (!(sandbox instanceof GvisorSandbox template)) {
            throw new SandboxException("sandbox: " + (sandbox == null ? "null" : sandbox.id() + " is a "
                    + sandbox.runtime() + " sandbox") + "; only a gvisor sandbox can be a gvisor snapshot template");
        }
        try {
            if (prepare != null && prepare.stdin() != null) {
                throw new SandboxException("prepare.stdin: a prepare step reads no stdin (it runs with /dev/null)");
            }
            ProcessSpec step = prepare != null ? prepare : new ProcessSpec(List.of("true"), Map.of(), null);
            // why: checked here, before anything starts (an empty command, a bad variable name)
            byte[] prepLine = LauncherScript.jobLine(new ProcessSpec(step.command(), Map.of(), null), List.of());
            String snapshotId = SNAPSHOT_PREFIX + randomHex(12);
            Path image = dir.resolve(snapshotId);
            held.put(snapshotId, GvisorSandbox.lockBundle(image));
            try {
                return saved(template, step, prepLine, bound, snapshotId, image);
            } catch (SandboxException | IOException | RuntimeException e) {
                letGo(snapshotId);
                GvisorSandbox.deleteTree(image);
                throw e;
            }
        } catch (IOException | RuntimeException e) { // a runtime fault either way, for the caller to tell from a job's
            throw new SandboxException("could not snapshot sandbox " + sandbox.id() + ": " + e.getMessage(), e);
        } finally {
            sandbox.destroy();
        }
    }

    /** Boots the template, runs its prepare step and checkpoints it into {@code image}. */
    private Snapshot saved(GvisorSandbox template, ProcessSpec step, byte[] prepLine, Duration bound, String snapshotId,
            Path image) throws SandboxException, IOException {
        String mark = "hangar-prepared-" + randomHex(16);
        GvisorSandbox.RunscStarted started = template.startTemplate(new ProcessSpec(
                List.of("/bin/sh", "-c", TEMPLATE_PROGRAM, TEMPLATE_MARKER + template.id(), mark), step.env(), null));
        try {
            awaitPrepared(started.process(), prepLine, mark, bound, template.id());
            checkpoint(template, image);
            var manifest = SnapshotManifest.of(snapshotId, template.sandboxSpec(), runtime.kernel(), template.rootfs(),
                    image.resolve(SnapshotManifest.CHECKPOINT));
            manifest.write(image);
            // why: its sum was taken just now; each of the first restores, at once, would take it again
            // (under the path a restore looks it up by, as imageOf makes it)
            verified.put(image.toAbsolutePath().normalize(), fingerprint(image.resolve(SnapshotManifest.CHECKPOINT)));
            return new Snapshot(snapshotId, GvisorRuntime.NAME, image.toString());
        } finally {
            started.process().destroyForcibly();
            started.forkLog().close();
        }
    }

    /** Lets go of the lock on a template's directory (see {@link #held}). */
    private void letGo(String snapshotId) {
        var channel = held.remove(snapshotId);
        if (channel != null) {
            try {
                channel.close();
            } catch (IOException ignored) {
                // closing releases the lock; nothing else to do
            }
        }
    }

    /** Deletes the templates a crashed process left: those whose directory no process holds. */
    void sweepStale() {
        if (!Files.isDirectory(dir)) {
            return;
        }
        try (var dirs = Files.list(dir)) {
            dirs.filter(d -> d.getFileName().toString().startsWith(SNAPSHOT_PREFIX)).filter(Files::isDirectory)
                    .filter(GvisorRuntime::unlocked).toList().forEach(GvisorSandbox::deleteTree);
        } catch (IOException e) {
            // looked at again at the next start
        }
    }

    /**
     * Writes the prepare line to the template (its stdin stays open) and waits until it prints the
     * mark: the step succeeded and the shell goes on to wait for a job.
     */
    private static void awaitPrepared(Process process, byte[] prepLine, String mark, Duration bound, String id)
            throws SandboxException, IOException {
        var stdout = new Tail();
        var stderr = new Tail();
        CompletableFuture<Void> prepared = new CompletableFuture<>();
        byte[] marked = (mark + "\n").getBytes(StandardCharsets.UTF_8);
        Thread out = drain(process.getInputStream(), stdout, () -> {
            if (stdout.endsWith(marked)) {
                prepared.complete(null);
            }
        });
        Thread err = drain(process.getErrorStream(), stderr, () -> {});
        process.onExit().thenRun(() -> prepared.completeExceptionally(new IllegalStateException("ended")));
        OutputStream stdin = process.getOutputStream();
        stdin.write(prepLine);
        stdin.flush();
        try {
            prepared.get(bound.toMillis(), TimeUnit.MILLISECONDS);
        } catch (TimeoutException e) {
            throw new SandboxException("template " + id + ": boot and prepare step did not end within " + bound.toMillis() + " ms"
                    + said(stdout, stderr));
        } catch (ExecutionException e) {
            int code = waitExit(process);
            // why: the exit may be seen before the last of what the step said is read
            joinBriefly(out);
            joinBriefly(err);
            throw new SandboxException("template " + id + ": the prepare step failed (exit " + code + ")"
                    + said(stdout, stderr));
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new SandboxException("interrupted preparing template " + id, e);
        }
    }

    private void checkpoint(GvisorSandbox template, Path image) throws SandboxException, IOException {
        Runsc runsc = template.runsc();
        Runsc.Result result = Runsc.call(runsc.checkpoint(template.sandboxSpec().network(), image, template.runscId()),
                CHECKPOINT_BOUND);
        if (result.code() != 0 || !Files.isRegularFile(image.resolve(SnapshotManifest.CHECKPOINT))) {
            throw new SandboxException("runsc checkpoint of template " + template.id() + " failed (exit "
                    + result.code() + "): " + result.output());
        }
    }

    /**
     * A new sandbox restored from {@code snapshot}, its launcher waiting for one job ({@code
     * launcherReady()}); {@code exec} hands the job over as in a prestarted sandbox. The cgroups
     * of {@code spec} (memory, CPU) are around it from the start. runsc may still be restoring
     * when this returns: a job handed over meanwhile waits in the pipe.
     */
    @Override
    public Sandbox restore(Snapshot snapshot, SandboxSpec spec) throws SandboxException {
        Path image = imageOf(snapshot);
        SnapshotManifest manifest = checked(snapshot, image);
        var mismatch = manifest.mismatch(spec);
        if (mismatch.isPresent()) {
            throw new SandboxException("cannot restore snapshot " + snapshot.id() + " as sandbox " + spec.id() + ": spec."
                    + mismatch.get());
        }
        String kernel = runtime.kernel();
        if (!manifest.kernel().equals(kernel)) {
            throw new SandboxException("snapshot " + snapshot.id() + " was taken with " + manifest.kernel()
                    + " and this node runs " + kernel + "; gVisor restores an image only on the version and platform"
                    + " that saved it");
        }
        var sandbox = (GvisorSandbox) runtime.create(spec);
        try {
            var madeAgain = manifest.imageMismatch(sandbox.rootfs());
            if (madeAgain.isPresent()) {
                throw new SandboxException("cannot restore snapshot " + snapshot.id() + " as sandbox " + spec.id()
                        + ": spec." + madeAgain.get());
            }
            sandbox.restoreFrom(image);
            sandbox.prestart();
            return sandbox;
        } catch (SandboxException | RuntimeException e) {
            sandbox.destroy();
            throw e;
        }
    }

    /** Removes the snapshot's image; restoring it afterwards fails. */
    public void delete(Snapshot snapshot) throws SandboxException {
        Path image = imageOf(snapshot);
        verified.remove(image);
        letGo(snapshot.id());
        GvisorSandbox.deleteTree(image);
    }

    private Path imageOf(Snapshot snapshot) throws SandboxException {
        if (snapshot == null) {
            throw new SandboxException("snapshot: is null");
        }
        if (!GvisorRuntime.NAME.equals(snapshot.runtime())) {
            throw new SandboxException("snapshot.runtime: " + snapshot.runtime() + "; the gvisor runtime restores only"
                    + " its own snapshots");
        }
        if (snapshot.location() == null || snapshot.location().isBlank()) {
            throw new SandboxException("snapshot.location: is empty; it names the snapshot's image directory");
        }
        Path image = Path.of(snapshot.location()).toAbsolutePath().normalize();
        if (!image.startsWith(dir.toAbsolutePath().normalize())) {
            throw new SandboxException("snapshot.location: " + image + " is not under this runtime's snapshots ("
                    + dir + ")");
        }
        return image;
    }

    /** What tells a checkpoint file changed since its sum was checked: its size and modification time. */
    private static String fingerprint(Path checkpoint) throws IOException {
        return Files.size(checkpoint) + "@" + Files.getLastModifiedTime(checkpoint).toMillis();
    }

    /** The manifest, once the image is there and its checksum is the one recorded (checked once per image). */
    private SnapshotManifest checked(Snapshot snapshot, Path image) throws SandboxException {
        Path checkpoint = image.resolve(SnapshotManifest.CHECKPOINT);
        if (!Files.isRegularFile(checkpoint) || !Files.isRegularFile(image.resolve(SnapshotManifest.FILE))) {
            throw new SandboxException("snapshot " + snapshot.id() + ": its image " + image + " is missing ("
                    + (Files.isDirectory(image) ? "no " + (Files.isRegularFile(checkpoint) ? SnapshotManifest.FILE
                    : SnapshotManifest.CHECKPOINT) : "no such directory") + ")");
        }
        try {
            SnapshotManifest manifest = SnapshotManifest.read(image);
            String seen = fingerprint(checkpoint);
            if (!seen.equals(verified.get(image))) {
                String sum = SnapshotManifest.sha256(checkpoint);
                if (!sum.equals(manifest.sha256())) {
                    throw new SandboxException("snapshot " + snapshot.id() + ": its image " + checkpoint
                            + " is corrupt (SHA-256 " + sum + ", recorded " + manifest.sha256() + ")");
                }
                verified.put(image, seen);
            }
            return manifest;
        } catch (IOException e) {
            throw new SandboxException("snapshot " + snapshot.id() + ": its manifest " + image.resolve(SnapshotManifest.FILE)
                    + " is unreadable or corrupt: " + e.getMessage(), e);
        }
    }

    /** The last bytes of one output stream of the template, for error messages. */
    private static final class Tail {
        private final ByteArrayOutputStream bytes = new ByteArrayOutputStream();

        synchronized void add(byte[] data, int length) {
            bytes.write(data, 0, length);
            if (bytes.size() > 2 * KEPT_OUTPUT) {
                byte[] all = bytes.toByteArray();
                bytes.reset();
                bytes.write(all, all.length - KEPT_OUTPUT, KEPT_OUTPUT);
            }
        }

        synchronized boolean endsWith(byte[] suffix) {
            byte[] all = bytes.toByteArray();
            return all.length >= suffix.length
                    && java.util.Arrays.equals(all, all.length - suffix.length, all.length, suffix, 0, suffix.length);
        }

        synchronized String text() {
            String text = bytes.toString(StandardCharsets.UTF_8).strip();
            return text.length() > KEPT_OUTPUT ? text.substring(text.length() - KEPT_OUTPUT) : text;
        }
    }

    private static Thread drain(InputStream in, Tail tail, Runnable afterEach) {
        // why: a platform thread, as for every pipe of a sandbox that may block for long
        return Thread.ofPlatform().daemon().name("gvisor-template").start(() -> {
            byte[] buffer = new byte[8192];
            try (in) {
                for (int n; (n = in.read(buffer)) > 0; ) {
                    tail.add(buffer, n);
                    afterEach.run();
                }
            } catch (IOException ignored) {
                // the template ended
            }
        });
    }

    /** Waits a moment for a drain to reach the end of its pipe: a child that kept the pipe open holds it no longer. */
    private static void joinBriefly(Thread drain) {
        try {
            drain.join(Duration.ofSeconds(2));
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }

    private static String said(Tail stdout, Tail stderr) {
        String out = stdout.text();
        String err = stderr.text();
        return (out.isEmpty() ? "" : "; stdout: " + out) + (err.isEmpty() ? "" : "; stderr: " + err);
    }

    private static int waitExit(Process process) {
        try {
            return process.waitFor(10, TimeUnit.SECONDS) ? process.exitValue() : -1;
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            return -1;
        }
    }

    private static String randomHex(int digits) {
        return HexFormat.of().toHexDigits(ThreadLocalRandom.current().nextLong()).substring(0, digits);
    }
}
