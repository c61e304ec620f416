package io.sdr.testing;

import java.io.IOException;
import java.net.InetAddress;
import java.net.ServerSocket;

/** TCP ports for servers a test starts on 127.0.0.1. */
public final class Ports {
    private Ports() {
    }

    /**
     * A port free on 127.0.0.1 now, picked up front because the port goes into a configuration
     * (several groups, or another process, share it) before anything listens on it.
     */
    public static int freePort() {
        try (ServerSocket socket = new ServerSocket(0, 1, InetAddress.getLoopbackAddress())) {
            socket.setReuseAddress(true);
            return socket.getLocalPort();
        } catch (final IOException e) {
            throw new IllegalStateException("no free port", e);
        }
    }
}
