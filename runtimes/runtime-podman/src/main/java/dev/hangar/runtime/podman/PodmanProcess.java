package dev.hangar.runtime.podman;

import dev.hangar.core.runtime.ExitStatus;
import dev.hangar.core.runtime.OutputSink;
import dev.hangar.core.runtime.SandboxException;
import dev.hangar.core.runtime.SandboxProcess;
import java.io.ByteArrayOutputStream;
import java.io.EOFException;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.nio.charset.StandardCharsets;
import java.time.Instant;
import java.util.concurrent.CompletableFuture;

/**
 * A job's process: a Podman exec session whose hijacked connection carries stdin one way and the
 * multiplexed output the other. When the output ends the process has ended; its sandbox then reads
 * the exit code and the limits hit, and removes the container.
 */
final class PodmanProcess implements SandboxProcess {
    /** How much of the output is kept to read Podman's reason from. */
    private static final int HEAD_BYTES = 4096;

    private final PodmanSandbox sandbox;
    private final String execId;
    private final UnixHttp.Upgraded stream;
    private final CompletableFuture<ExitStatus> exit = new CompletableFuture<>();
    private volatile boolean killed;

    PodmanProcess(PodmanSandbox sandbox, String execId, UnixHttp.Upgraded stream, OutputSink sink, Instant started) {
        this.sandbox = sandbox;
        this.execId = execId;
        this.stream = stream;
        Thread.ofPlatform().daemon().name("podman-exec-" + sandbox.id()).start(() -> run(sink, started));
    }

    /** The session's stdin, whose end of file the process then reads. */
    OutputStream input() {
        return stream.output();
    }

    /** Writes {@code stdin} (may be null) in the background, then ends the process's stdin. */
    void feed(byte[] stdin) {
        Thread.ofVirtual().name("podman-stdin").start(() -> {
            try {
                if (stdin != null) {
                    stream.output().write(stdin);
                }
            } catch (IOException ignored) {
                // why: a process may exit without reading its input
            } finally {
                stream.shutdownOutput();
            }
        });
    }

    private void run(OutputSink sink, Instant started) {
        // why: Podman answers 200 instead of 101 when the process could not be started, and says why
        // on the stream; after a 101 it may still say so on stderr, with no exit code recorded. The
        // reason gives the exit code then (see PodmanSandbox#finish).
        boolean refused = !stream.switched();
        var head = new ByteArrayOutputStream();
        OutputSink target = (s, data, offset, length) -> {
            if ((refused || s == OutputSink.Stream.STDERR) && head.size() < HEAD_BYTES) {
                head.write(data, offset, Math.min(length, HEAD_BYTES - head.size()));
            }
            sink.write(s, data, offset, length);
        };
        try (stream) {
            demultiplex(stream.input(), target);
        } catch (IOException ignored) {
            // why: the connection breaks when the service dies; the exit code is still recorded
        }
        try {
            exit.complete(sandbox.finish(execId, started, killed, refused, head.toString(StandardCharsets.UTF_8)));
        } catch (SandboxException e) {
            exit.completeExceptionally(e);
        } catch (IOException | RuntimeException e) {
            exit.completeExceptionally(new SandboxException("podman sandbox " + sandbox.id()
                    + ": could not tell how its process ended: " + e.getMessage(), e));
        }
    }

    /**
     * Copies Docker-style multiplexed output to the sink until end of stream: frames of an 8-byte
     * header (stream 1 stdout, 2 stderr; 3 bytes zero; big-endian length) and that many bytes.
     */
    static void demultiplex(InputStream in, OutputSink sink) throws IOException {
        byte[] header = new byte[8];
        byte[] buffer = new byte[16 * 1024];
        while (readHeader(in, header)) {
            OutputSink.Stream target = switch (header[0]) {
                case 1 -> OutputSink.Stream.STDOUT;
                case 2, 3 -> OutputSink.Stream.STDERR;
                default -> null;
            };
            long left = ((header[4] & 0xffL) << 24) | ((header[5] & 0xff) << 16) | ((header[6] & 0xff) << 8) | (header[7] & 0xff);
            while (left > 0) {
                int n = in.read(buffer, 0, (int) Math.min(left, buffer.length));
                if (n < 0) {
                    throw new EOFException("output ended inside a frame");
                }
                if (target != null && n > 0) {
                    sink.write(target, buffer, 0, n);
                }
                left -= n;
            }
        }
    }

    /** False at a clean end of stream (between frames). */
    private static boolean readHeader(InputStream in, byte[] header) throws IOException {
        int got = 0;
        while (got < header.length) {
            int n = in.read(header, got, header.length - got);
            if (n < 0) {
                if (got == 0) {
                    return false;
                }
                throw new EOFException("output ended inside a frame header");
            }
            got += n;
        }
        return true;
    }

    @Override
    public CompletableFuture<ExitStatus> exit() {
        return exit;
    }

    @Override
    public void kill() {
        killed = true;
        if (!exit.isDone()) {
            sandbox.killContainer();
        }
    }
}
