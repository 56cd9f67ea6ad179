package dev.hangar.queue.redis;

import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * A TCP relay between a client and a redis-server that, once armed, lets a request through and
 * then drops its connection before the reply reaches the client: the command ran, and the client
 * cannot know. That is the connection loss a Redis client meets when the network fails between a
 * command and its reply; Lettuce then reconnects and sends the command again. New connections can
 * be held back, to let other clients act before the command is sent again.
 */
final class ReplyCuttingRelay implements AutoCloseable {
    private final ServerSocket listener;
    private final int target;
    private final AtomicBoolean cutNextRequest = new AtomicBoolean();
    private volatile byte[] marker;
    private volatile CountDownLatch connectGate = new CountDownLatch(0);
    private final AtomicInteger cuts = new AtomicInteger();
    private final AtomicInteger connections = new AtomicInteger();
    private final List<Socket> open = new CopyOnWriteArrayList<>();
    private final Thread acceptor;

    ReplyCuttingRelay(int targetPort) throws IOException {
        this.target = targetPort;
        this.listener = new ServerSocket(0, 50, InetAddress.getLoopbackAddress());
        this.acceptor = Thread.ofPlatform().daemon().name("relay-accept").start(this::accept);
    }

    int port() {
        return listener.getLocalPort();
    }

    /** The reply to the next request is not delivered: the connection it would have come on is cut. */
    void cutNextReply() {
        cutNextRequest.set(true);
    }

    /**
     * The reply to the next request that contains this text (e.g. a function's name) is not
     * delivered. Meant for a client that waits for each reply before it sends the next request.
     */
    void cutReplyTo(String request) {
        marker = request.getBytes(StandardCharsets.UTF_8);
    }

    /** New connections wait until {@link #letConnectionsThrough()}. */
    void holdConnections() {
        connectGate = new CountDownLatch(1);
    }

    void letConnectionsThrough() {
        connectGate.countDown();
    }

    /** Replies cut so far. */
    int cuts() {
        return cuts.get();
    }

    /** Client connections accepted so far (a reconnect is one more). */
    int connections() {
        return connections.get();
    }

    private void accept() {
        while (!listener.isClosed()) {
            try {
                Socket client = listener.accept();
                open.add(client);
                connections.incrementAndGet();
                Thread.ofPlatform().daemon().name("relay-connect").start(() -> relay(client));
            } catch (IOException e) {
                return; // closed
            }
        }
    }

    private void relay(Socket client) {
        try {
            connectGate.await();
            Socket server = new Socket();
            open.add(server);
            server.connect(new InetSocketAddress(InetAddress.getLoopbackAddress(), target));
            client.setTcpNoDelay(true);
            server.setTcpNoDelay(true);
            AtomicBoolean cutReply = new AtomicBoolean(); // of this connection only
            Thread.ofPlatform().daemon().name("relay-up").start(() -> pump(client, server, cutReply, false));
            pump(server, client, cutReply, true);
        } catch (IOException e) {
            closeQuietly(client);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }

    /** Copies bytes one way: requests arm the cut of their connection's next reply; replies are cut when armed. */
    private void pump(Socket from, Socket to, AtomicBoolean cutReply, boolean replies) {
        byte[] buffer = new byte[64 * 1024];
        try (from; to) {
            InputStream in = from.getInputStream();
            OutputStream out = to.getOutputStream();
            int n;
            while ((n = in.read(buffer)) > 0) {
                if (replies && cutReply.compareAndSet(true, false)) {
                    cuts.incrementAndGet();
                    return; // closes both sockets: the reply is lost
                }
                byte[] wanted = marker;
                if (!replies && (cutNextRequest.compareAndSet(true, false)
                        || wanted != null && contains(buffer, n, wanted))) {
                    marker = null;
                    cutReply.set(true);
                }
                out.write(buffer, 0, n);
                out.flush();
            }
        } catch (IOException e) {
            // the other direction closed the pair
        }
    }

    private static boolean contains(byte[] buffer, int length, byte[] wanted) {
        outer:
        for (int i = 0; i + wanted.length <= length; i++) {
            for (int j = 0; j < wanted.length; j++) {
                if (buffer[i + j] != wanted[j]) {
                    continue outer;
                }
            }
            return true;
        }
        return false;
    }

    private static void closeQuietly(Socket socket) {
        try {
            socket.close();
        } catch (IOException ignored) {
            // closing anyway
        }
    }

    @Override
    public void close() throws IOException {
        connectGate.countDown();
        listener.close();
        for (Socket socket : open) {
            closeQuietly(socket);
        }
        try {
            acceptor.join(2000);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }
}
