package io.sdr.testing;

import java.io.IOException;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;

/** TCP ports for servers a test starts on 127.0.0.1. */
public final class Ports {
    /**
     * Every port handed out in this JVM. A port is picked up front and nothing listens on it until
     * a child process starts; the kernel may give the same ephemeral port to the next bind meanwhile,
     * and two settings naming one port (a server's listen address and its bridge) start a server
     * that answers HTTP with the wrong protocol. Picking from ports not handed out before avoids that.
     */
    private static final Set<Integer> HANDED_OUT = ConcurrentHashMap.newKeySet();

    private Ports() {
    }

    /**
     * A port free on 127.0.0.1 now and not returned before by this JVM, picked up front because the
     * port goes into a configuration (several groups, or another process, share it) before anything
     * listens on it.
     */
    public static int freePort() {
        for (int attempt = 0; attempt < 100; attempt++) {
            try (ServerSocket socket = new ServerSocket(0, 1, InetAddress.getLoopbackAddress())) {
                socket.setReuseAddress(true);
                final int port = socket.getLocalPort();
                if (HANDED_OUT.add(port)) {
                    return port;
                }
            } catch (final IOException e) {
                throw new IllegalStateException("no free port", e);
            }
        }
        throw new IllegalStateException("no free port not handed out before in 100 attempts");
    }
}
