package io.sdr.cli.bus;

import io.sdr.cli.CliException;

import io.vertx.core.json.JsonObject;

import java.io.BufferedInputStream;
import java.io.BufferedOutputStream;
import java.io.Closeable;
import java.io.DataInputStream;
import java.io.DataOutputStream;
import java.io.EOFException;
import java.io.IOException;
import java.net.ConnectException;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.net.SocketTimeoutException;
import java.net.UnknownHostException;
import java.nio.charset.StandardCharsets;
import java.util.UUID;

/**
 * A blocking client of the Vert.x TCP event-bus bridge protocol (the bridge artifact ships no Java
 * client). Every frame, both ways:
 *
 * <pre>
 *   +----------------------+-------------------------------------------+
 *   | length int32 (BE)    | JSON, UTF-8 (length bytes)                |
 *   +----------------------+-------------------------------------------+
 *   to the server:   {type: send|publish|register|unregister|ping, address, body, headers, replyAddress}
 *   from the server: {type: message, address, body, headers, replyAddress, send}
 *                    {type: err, message [, address, sourceAddress, failureCode, failureType]}
 *                    {type: pong}
 * </pre>
 *
 * The bridge answers a refused send, publish or register with an {@code err} frame and a
 * successful one with nothing; {@link #confirm} sends a ping behind the request and waits for the
 * pong, so an error (which the server writes first) is never missed. One thread reads, any thread
 * may write.
 */
public final class BridgeClient implements Closeable {
    /** Larger frames are a protocol error, not a message. */
    private static final int MAX_FRAME_BYTES = 64 << 20;

    private final String target;
    private final Socket socket;
    private final DataInputStream in;
    private final DataOutputStream out;

    private BridgeClient(final String target, final Socket socket) throws IOException {
        this.target = target;
        this.socket = socket;
        this.in = new DataInputStream(new BufferedInputStream(socket.getInputStream()));
        this.out = new DataOutputStream(new BufferedOutputStream(socket.getOutputStream()));
    }

    /** Connects, or fails with a one-line reason. */
    public static BridgeClient connect(final String host, final int port, final int timeoutMs) {
        final String target = host + ":" + port;
        final Socket socket = new Socket();
        try {
            socket.setTcpNoDelay(true);
            socket.connect(new InetSocketAddress(host, port), timeoutMs);
            return new BridgeClient(target, socket);
        } catch (final ConnectException e) {
            closeQuietly(socket);
            throw new CliException("cannot connect to the event-bus bridge at " + target + ": connection refused "
                + "(is the server running with bridge.enabled, and on this port? --host/--port or SDR_BRIDGE_ADDR)");
        } catch (final SocketTimeoutException e) {
            closeQuietly(socket);
            throw new CliException("cannot connect to the event-bus bridge at " + target + ": no answer within " + timeoutMs + " ms");
        } catch (final UnknownHostException e) {
            closeQuietly(socket);
            throw new CliException("cannot connect to the event-bus bridge at " + target + ": unknown host " + host);
        } catch (final IOException e) {
            closeQuietly(socket);
            throw new CliException("cannot connect to the event-bus bridge at " + target + ": " + e.getMessage());
        }
    }

    public String target() {
        return target;
    }

    // ---- frames -------------------------------------------------------------------------------

    public synchronized void write(final JsonObject frame) {
        final byte[] json = frame.encode().getBytes(StandardCharsets.UTF_8);
        try {
            out.writeInt(json.length);
            out.write(json);
            out.flush();
        } catch (final IOException e) {
            throw new CliException("lost the connection to " + target + ": " + e.getMessage());
        }
    }

    /**
     * The next frame from the server, waiting at most {@code timeoutMs} (0: forever).
     * Fails when the server closes the connection or the wait times out.
     */
    public JsonObject read(final int timeoutMs) throws IOException {
        socket.setSoTimeout(timeoutMs);
        final int length;
        try {
            length = in.readInt();
        } catch (final EOFException e) {
            throw new CliException("the server closed the connection (" + target + ")");
        }
        if (length <= 0 || length > MAX_FRAME_BYTES) {
            throw new CliException("protocol error from " + target + ": frame length=" + length);
        }
        final byte[] json = new byte[length];
        in.readFully(json);
        return new JsonObject(new String(json, StandardCharsets.UTF_8));
    }

    // ---- operations ---------------------------------------------------------------------------

    /** Request/reply: the reply's body, or a one-line failure (no handler, refused, timed out). */
    public Object request(final String address, final Object body, final int timeoutMs) {
        final String replyAddress = "cli." + UUID.randomUUID();
        write(new JsonObject().put("type", "send").put("address", address).put("body", body)
            .put("replyAddress", replyAddress).put("headers", new JsonObject().put("timeout", (long) timeoutMs)));  // a number: the bridge drops a string silently
        final long deadline = System.nanoTime() + (timeoutMs + 2000L) * 1_000_000L;
        try {
            while (true) {
                final int left = (int) Math.max(1, (deadline - System.nanoTime()) / 1_000_000L);
                final JsonObject frame = read(left);
                final String type = frame.getString("type", "");
                if (type.equals("err")) {
                    throw failure(frame, address, "send to");
                }
                if (type.equals("message") && replyAddress.equals(frame.getString("address"))) {
                    return frame.getValue("body");
                }
            }
        } catch (final SocketTimeoutException e) {
            throw new CliException("no reply from " + address + " within " + timeoutMs + " ms");
        } catch (final IOException e) {
            throw new CliException("lost the connection to " + target + ": " + e.getMessage());
        }
    }

    /** Point-to-point send without a reply; fails when the bridge refuses it. */
    public void send(final String address, final Object body, final int timeoutMs) {
        write(new JsonObject().put("type", "send").put("address", address).put("body", body));
        confirm(address, "send to", timeoutMs);
    }

    public void publish(final String address, final Object body, final int timeoutMs) {
        write(new JsonObject().put("type", "publish").put("address", address).put("body", body));
        confirm(address, "publish to", timeoutMs);
    }

    public void register(final String address, final int timeoutMs) {
        write(new JsonObject().put("type", "register").put("address", address));
        confirm(address, "tail", timeoutMs);
    }

    /** Best effort: the server also drops a closed connection's registrations. */
    public void unregister(final String address) {
        write(new JsonObject().put("type", "unregister").put("address", address));
    }

    /**
     * Pings and waits for the pong; an {@code err} frame before it fails the preceding operation
     * (after the pong is read, so the next operation does not take this pong for its own).
     */
    private void confirm(final String address, final String operation, final int timeoutMs) {
        write(new JsonObject().put("type", "ping"));
        CliException failure = null;
        try {
            while (true) {
                final JsonObject frame = read(timeoutMs);
                final String type = frame.getString("type", "");
                if (type.equals("err") && failure == null) {
                    failure = failure(frame, address, operation);
                }
                if (type.equals("pong")) {
                    if (failure != null) {
                        throw failure;
                    }
                    return;
                }
            }
        } catch (final SocketTimeoutException e) {
            throw new CliException("no answer from " + target + " within " + timeoutMs + " ms");
        } catch (final IOException e) {
            throw new CliException("lost the connection to " + target + ": " + e.getMessage());
        }
    }

    /** The user's reading of an {@code err} frame. */
    static CliException failure(final JsonObject err, final String address, final String operation) {
        final String message = err.getString("message", "");
        final String failureType = err.getString("failureType", "");
        if (message.equals("access_denied")) {
            return new CliException("not permitted by the server's bridge rules: " + operation + " " + address
                + " (bridge." + (operation.equals("tail") ? "outbound" : "inbound") + " in conf.json; `bus list` shows what is permitted)");
        }
        if (message.startsWith("blocked by bridgeEvent")) {
            return new CliException("the server refused to " + operation + " " + address
                + " (not a stream it serves, or payloads are off: bridge.payloadMaxBytes=0)");
        }
        switch (failureType) {
            case "NO_HANDLERS":
                return new CliException("unknown address: no handler for " + address + " on the server (`bus list` shows the addresses in use)");
            case "TIMEOUT":
                return new CliException("no reply from " + address + ": " + message);
            case "RECIPIENT_FAILURE":
                return new CliException(address + " failed: " + message + " (code " + err.getValue("failureCode") + ")");
            default:
                return new CliException("the server answered " + operation + " " + address + " with an error: " + err.encode());
        }
    }

    @Override
    public void close() {
        closeQuietly(socket);
    }

    private static void closeQuietly(final Socket socket) {
        try {
            socket.close();
        } catch (final IOException ignored) {
            // closing anyway
        }
    }
}
