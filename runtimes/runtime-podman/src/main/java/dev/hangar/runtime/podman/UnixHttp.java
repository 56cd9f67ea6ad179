package dev.hangar.runtime.podman;

import java.io.ByteArrayOutputStream;
import java.io.Closeable;
import java.io.EOFException;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.StandardProtocolFamily;
import java.net.UnixDomainSocketAddress;
import java.nio.ByteBuffer;
import java.nio.channels.SocketChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.util.HashMap;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;

/**
 * HTTP/1.1 over a Unix socket, as much of it as the libpod API needs: one request per connection
 * ({@code Connection: close}), bodies by length, chunked or to end of stream, request bodies
 * streamed chunked, and connections hijacked by an upgrade ({@code exec start}).
 *
 * <p>Why by hand: {@link java.net.http.HttpClient} cannot dial a Unix socket, and the JDK's own
 * {@link SocketChannel} does it without a native library; the subset needed is small.
 */
final class UnixHttp {
    private static final ScheduledExecutorService DEADLINES = Executors.newSingleThreadScheduledExecutor(
            Thread.ofPlatform().daemon().name("podman-http-deadline").factory());

    private final Path socket;

    UnixHttp(Path socket) {
        this.socket = socket;
    }

    Path socket() {
        return socket;
    }

    /** A whole response. */
    record Response(int status, Map<String, String> headers, byte[] body) {
        boolean ok() {
            return status >= 200 && status < 300;
        }

        String text() {
            return new String(body, StandardCharsets.UTF_8);
        }
    }

    /** Where a request body comes from when it is streamed (chunked). */
    interface BodyWriter {
        void writeTo(OutputStream out) throws IOException;
    }

    /** Sends a request with an optional body and reads the whole response, within {@code timeout}. */
    Response send(String method, String target, String contentType, byte[] body, Duration timeout) throws IOException {
        Connection c = Connection.open(socket, timeout);
        try (c) {
            var head = new StringBuilder();
            head.append(method).append(' ').append(target).append(" HTTP/1.1\r\nHost: podman\r\nConnection: close\r\n");
            if (body != null) {
                head.append("Content-Type: ").append(contentType).append("\r\n");
            }
            head.append("Content-Length: ").append(body == null ? 0 : body.length).append("\r\n\r\n");
            c.write(head.toString().getBytes(StandardCharsets.US_ASCII), body);
            return c.readResponse(method);
        } catch (IOException e) {
            throw c.explained(e, method + " " + target, timeout);
        }
    }

    /** Sends a request whose body is streamed with chunked transfer encoding; reads the whole response. */
    Response stream(String method, String target, String contentType, BodyWriter body, Duration timeout)
            throws IOException {
        Connection c = Connection.open(socket, timeout);
        try (c) {
            c.write((method + " " + target + " HTTP/1.1\r\nHost: podman\r\nConnection: close\r\nContent-Type: "
                    + contentType + "\r\nTransfer-Encoding: chunked\r\n\r\n").getBytes(StandardCharsets.US_ASCII));
            try (OutputStream chunked = new ChunkedOutput(c)) {
                body.writeTo(chunked);
            }
            return c.readResponse(method);
        } catch (IOException e) {
            throw c.explained(e, method + " " + target, timeout);
        }
    }

    /**
     * Sends a request that upgrades the connection to a raw two-way stream (Docker's "hijack"). An
     * answer other than 101 or 200 is read whole and returned in {@link Upgraded#refusal()}.
     */
    Upgraded upgrade(String method, String target, byte[] jsonBody, Duration handshake) throws IOException {
        // why a deadline on the answer: a service that never answers would hold the sandbox's lock,
        // and with it its destroy, for ever; the stream after the answer has none
        Connection c = Connection.open(socket, handshake);
        try {
            c.write((method + " " + target + " HTTP/1.1\r\nHost: podman\r\nConnection: Upgrade\r\nUpgrade: tcp\r\n"
                    + "Content-Type: application/json\r\nContent-Length: " + jsonBody.length + "\r\n\r\n")
                    .getBytes(StandardCharsets.US_ASCII), jsonBody);
            int status = c.readStatus();
            Map<String, String> headers = c.readHeaders();
            if (status == 101 || status == 200) {
                if (!c.keepBeyondDeadline()) {
                    throw new IOException("podman answered " + target + " only after " + handshake.toSeconds() + " s");
                }
                return new Upgraded(c, status == 101, null);
            }
            Response refusal = new Response(status, headers, c.readBody("POST", status, headers));
            c.close();
            return new Upgraded(null, false, refusal);
        } catch (IOException e) {
            c.close();
            throw c.explained(e, method + " " + target, handshake);
        } catch (RuntimeException e) {
            c.close();
            throw e;
        }
    }

    /** A hijacked connection: the server's output as an input stream, and ours (stdin) as an output stream. */
    static final class Upgraded implements Closeable {
        private final Connection connection;
        private final boolean switched;
        private final Response refusal;

        private Upgraded(Connection connection, boolean switched, Response refusal) {
            this.connection = connection;
            this.switched = switched;
            this.refusal = refusal;
        }

        /** True for "101 Switching Protocols"; a plain 200 streams too, but Podman answers so when exec failed. */
        boolean switched() {
            return switched;
        }

        /** The server's answer when it did not upgrade; null when it did. */
        Response refusal() {
            return refusal;
        }

        InputStream input() {
            return connection.input;
        }

        OutputStream output() {
            return connection.output;
        }

        /** Tells the server there is no more input (end of file on the process's stdin). */
        void shutdownOutput() {
            try {
                connection.channel.shutdownOutput();
            } catch (IOException ignored) {
                // why: the connection is already gone, and with it the process's stdin
            }
        }

        @Override
        public void close() {
            if (connection != null) {
                connection.close();
            }
        }
    }

    /** One connection: a blocking channel read and written directly (reads and writes may overlap). */
    static final class Connection implements Closeable {
        private final SocketChannel channel;
        private final ByteBuffer buffer = ByteBuffer.allocate(64 * 1024).flip();
        private final java.util.concurrent.ScheduledFuture<?> deadline;
        /** Set when the deadline closed the channel: the failure it causes is told as a timeout. */
        private volatile boolean timedOut;
        final InputStream input = new InputStream() {
            @Override
            public int read() throws IOException {
                return fill() ? buffer.get() & 0xff : -1;
            }

            @Override
            public int read(byte[] b, int off, int len) throws IOException {
                if (len == 0) {
                    return 0;
                }
                if (!fill()) {
                    return -1;
                }
                int n = Math.min(len, buffer.remaining());
                buffer.get(b, off, n);
                return n;
            }
        };
        final OutputStream output = new OutputStream() {
            @Override
            public void write(int b) throws IOException {
                Connection.this.write(new byte[] {(byte) b});
            }

            @Override
            public void write(byte[] b, int off, int len) throws IOException {
                writeFully(ByteBuffer.wrap(b, off, len));
            }
        };

        private Connection(SocketChannel channel, Duration timeout) {
            this.channel = channel;
            // why: a blocking channel has no read timeout; closing it wakes a blocked read
            this.deadline = timeout == null ? null
                    : DEADLINES.schedule(this::timeOut, timeout.toMillis(), TimeUnit.MILLISECONDS);
        }

        private void timeOut() {
            timedOut = true;
            close();
        }

        /** {@code failure} as the timeout it is if the deadline cut the connection (a closed channel says nothing). */
        IOException explained(IOException failure, String request, Duration timeout) {
            return timedOut ? new IOException("podman did not answer " + request + " within " + timeout.toMillis() + " ms",
                    failure) : failure;
        }

        static Connection open(Path socket, Duration timeout) throws IOException {
            SocketChannel channel = SocketChannel.open(StandardProtocolFamily.UNIX);
            try {
                channel.connect(UnixDomainSocketAddress.of(socket));
            } catch (IOException e) {
                channel.close();
                throw new ConnectFailed(socket, e);
            }
            return new Connection(channel, timeout);
        }

        void write(byte[] bytes) throws IOException {
            writeFully(ByteBuffer.wrap(bytes));
        }

        /**
         * A request's head and body (null: none) in one write: a server that answers from the head alone and
         * closes (a refusal) finds the body sent with it, where a second write could meet a broken pipe and
         * hide the answer.
         */
        void write(byte[] head, byte[] body) throws IOException {
            ByteBuffer[] parts = {ByteBuffer.wrap(head), ByteBuffer.wrap(body == null ? new byte[0] : body)};
            while (parts[0].hasRemaining() || parts[1].hasRemaining()) {
                channel.write(parts);
            }
        }

        private void writeFully(ByteBuffer bytes) throws IOException {
            while (bytes.hasRemaining()) {
                channel.write(bytes);
            }
        }

        /** True when the buffer has at least one byte, reading more if needed; false at end of stream. */
        private boolean fill() throws IOException {
            if (buffer.hasRemaining()) {
                return true;
            }
            buffer.clear();
            int n;
            do {
                n = channel.read(buffer);
            } while (n == 0);
            buffer.flip();
            return n > 0;
        }

        private String readLine() throws IOException {
            var line = new ByteArrayOutputStream(64);
            while (true) {
                if (!fill()) {
                    throw new EOFException("connection closed in the middle of an HTTP head");
                }
                byte b = buffer.get();
                if (b == '\n') {
                    break;
                }
                if (b != '\r') {
                    line.write(b);
                }
            }
            return line.toString(StandardCharsets.ISO_8859_1);
        }

        int readStatus() throws IOException {
            String line = readLine();
            String[] parts = line.split(" ", 3);
            if (parts.length < 2 || !parts[0].startsWith("HTTP/1.")) {
                throw new IOException("not an HTTP status line: " + line);
            }
            try {
                return Integer.parseInt(parts[1]);
            } catch (NumberFormatException e) {
                throw new IOException("not an HTTP status line: " + line, e);
            }
        }

        Map<String, String> readHeaders() throws IOException {
            var headers = new HashMap<String, String>();
            for (String line = readLine(); !line.isEmpty(); line = readLine()) {
                int colon = line.indexOf(':');
                if (colon > 0) {
                    headers.put(line.substring(0, colon).trim().toLowerCase(Locale.ROOT), line.substring(colon + 1).trim());
                }
            }
            return headers;
        }

        Response readResponse(String method) throws IOException {
            int status = readStatus();
            while (status >= 100 && status < 200) { // why: "100 Continue" comes before the real answer
                readHeaders();
                status = readStatus();
            }
            Map<String, String> headers = readHeaders();
            return new Response(status, headers, readBody(method, status, headers));
        }

        byte[] readBody(String method, int status, Map<String, String> headers) throws IOException {
            if (method.equals("HEAD") || status == 204 || status == 304) {
                return new byte[0];
            }
            var body = new ByteArrayOutputStream();
            if ("chunked".equalsIgnoreCase(headers.get("transfer-encoding"))) {
                while (true) {
                    String sizeLine = readLine();
                    int semicolon = sizeLine.indexOf(';');
                    long size = Long.parseLong((semicolon < 0 ? sizeLine : sizeLine.substring(0, semicolon)).trim(), 16);
                    if (size == 0) {
                        while (!readLine().isEmpty()) {
                            // trailers: none that matter
                        }
                        return body.toByteArray();
                    }
                    copy(body, size);
                    readLine();
                }
            }
            String length = headers.get("content-length");
            if (length != null) {
                copy(body, Long.parseLong(length));
                return body.toByteArray();
            }
            input.transferTo(body);
            return body.toByteArray();
        }

        private void copy(ByteArrayOutputStream to, long count) throws IOException {
            long left = count;
            while (left > 0) {
                if (!fill()) {
                    throw new EOFException("connection closed with " + left + " body bytes to come");
                }
                int n = (int) Math.min(left, buffer.remaining());
                to.write(buffer.array(), buffer.position(), n);
                buffer.position(buffer.position() + n);
                left -= n;
            }
        }

        /** Lifts the deadline, for a connection that goes on as a stream; false if it had already struck. */
        boolean keepBeyondDeadline() {
            return deadline == null || deadline.cancel(false);
        }

        @Override
        public void close() {
            if (deadline != null) {
                deadline.cancel(false);
            }
            try {
                channel.close();
            } catch (IOException ignored) {
                // nothing left to release
            }
        }
    }

    /** The socket could not be dialled: nothing listens there (the service is down or starting). */
    static final class ConnectFailed extends IOException {
        ConnectFailed(Path socket, IOException cause) {
            super("cannot connect to " + socket + ": " + cause.getMessage(), cause);
        }
    }

    /** Chunked transfer encoding over a connection; close() writes the last chunk. */
    private static final class ChunkedOutput extends OutputStream {
        private final Connection connection;

        ChunkedOutput(Connection connection) {
            this.connection = connection;
        }

        @Override
        public void write(int b) throws IOException {
            write(new byte[] {(byte) b}, 0, 1);
        }

        @Override
        public void write(byte[] b, int off, int len) throws IOException {
            if (len == 0) {
                return;
            }
            connection.write((Integer.toHexString(len) + "\r\n").getBytes(StandardCharsets.US_ASCII));
            connection.writeFully(ByteBuffer.wrap(b, off, len));
            connection.write(new byte[] {'\r', '\n'});
        }

        @Override
        public void close() throws IOException {
            connection.write("0\r\n\r\n".getBytes(StandardCharsets.US_ASCII));
        }
    }
}
