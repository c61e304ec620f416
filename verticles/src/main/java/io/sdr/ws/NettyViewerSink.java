package io.sdr.ws;

import io.netty.buffer.ByteBuf;
import io.netty.channel.Channel;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelOutboundBuffer;
import io.netty.channel.epoll.Epoll;
import io.netty.channel.epoll.EpollChannelOption;
import io.netty.channel.epoll.EpollSocketChannel;
import io.netty.handler.codec.http.websocketx.BinaryWebSocketFrame;
import io.netty.util.internal.SystemPropertyUtil;
import io.vertx.core.http.ServerWebSocket;
import io.vertx.core.internal.http.WebSocketInternal;

/**
 * The one place that reaches under Vert.x to the viewer's Netty channel: Vert.x's WebSocket write
 * path encodes every frame per socket and allocates a promise per write, while a server's frames
 * are byte-identical for every viewer. Video goes in as prebuilt frames, unflushed, with the
 * channel's void promise; Netty's own outbound buffer tells what is still unsent.
 *
 * <p>Internal Vert.x API, checked against Vert.x 5.0.10 (Netty 4.2.12): the socket of
 * {@code HttpServerRequest.toWebSocket()} implements {@code WebSocketInternal}, whose
 * {@code channelHandlerContext()} is the context of Vert.x's handler, behind the WebSocket frame
 * encoder (a ByteBuf passes it untouched; a {@link BinaryWebSocketFrame} is encoded) and, with TLS,
 * the SslHandler. Every data message of ours goes this way, so none can land between the fragments
 * of a message that Vert.x is still queueing; Vert.x itself writes only control frames (pong,
 * close), which RFC 6455 lets in anywhere. After {@link #close} nothing more is written.
 */
final class NettyViewerSink implements ViewerSink {
    /** Netty's per-message overhead in pending bytes ({@code ChannelOutboundBuffer}, same property and default). */
    private static final int ENTRY_OVERHEAD =
        SystemPropertyUtil.getInt("io.netty.transport.outboundBufferEntrySizeOverhead", 96);

    private final ServerWebSocket socket;
    private final ChannelHandlerContext ctx;
    private final Channel channel;
    private final boolean tls;
    private boolean closed;

    NettyViewerSink(final ServerWebSocket socket) {
        this.socket = socket;
        this.ctx = ((WebSocketInternal) socket).channelHandlerContext();
        this.channel = ctx.channel();
        this.tls = channel.pipeline().get(io.netty.handler.ssl.SslHandler.class) != null;
    }

    /**
     * Bounds what the kernel holds unsent for this viewer to {@code bytes} ({@code TCP_NOTSENT_LOWAT}:
     * the socket takes more only below it), so a slow viewer's backlog stays in Netty's buffer where
     * the fan-out sees it. Native epoll only; false elsewhere (then the small send buffer bounds it).
     */
    boolean limitUnsentInKernel(final int bytes) {
        if (bytes <= 0 || !(channel instanceof EpollSocketChannel) || !Epoll.isAvailable()) {
            return false;
        }
        return channel.config().setOption(EpollChannelOption.TCP_NOTSENT_LOWAT, (long) bytes);
    }

    @Override
    public boolean writeShared(final ByteBuf wire) {
        if (isClosed()) {
            wire.release();
            return false;
        }
        ctx.write(wire, ctx.voidPromise());
        return true;
    }

    @Override
    public boolean writeShared(final ByteBuf wire, final Runnable written) {
        if (isClosed()) {
            wire.release();
            written.run();
            return false;
        }
        ctx.write(wire).addListener(f -> written.run());
        return true;
    }

    @Override
    public boolean writeMessage(final ByteBuf message, final Runnable written) {
        if (isClosed()) {
            message.release();
            if (written != null) {
                written.run();
            }
            return false;
        }
        final BinaryWebSocketFrame frame = new BinaryWebSocketFrame(true, 0, message);
        if (written == null) {
            ctx.write(frame, ctx.voidPromise());
        } else {
            ctx.write(frame).addListener(f -> written.run());
        }
        return true;
    }

    @Override
    public boolean writeText(final ByteBuf utf8) {
        if (isClosed()) {
            utf8.release();
            return false;
        }
        ctx.write(new io.netty.handler.codec.http.websocketx.TextWebSocketFrame(true, 0, utf8), ctx.voidPromise());
        return true;
    }

    @Override
    public void flush() {
        if (!closed) {
            ctx.flush();
        }
    }

    @Override
    public long unsentBytes() {
        final ChannelOutboundBuffer out = channel.unsafe().outboundBuffer();
        return out == null ? 0 : out.totalPendingWriteBytes();
    }

    @Override
    public long cost(final int bytes) {
        if (!tls) {
            // One ByteBuf (a shared frame), or two (a small message's header and body): one entry or two.
            return bytes + 2L * ENTRY_OVERHEAD;
        }
        // TLS: the SslHandler turns it into records of up to 16 KiB, each its own entry with ~29 bytes more.
        final long records = bytes / (16 * 1024) + 1;
        return bytes + records * (29 + ENTRY_OVERHEAD) + 2L * ENTRY_OVERHEAD;
    }

    @Override
    public boolean isClosed() {
        return closed || !channel.isActive();
    }

    @Override
    public void close(final short code, final String reason) {
        if (closed) {
            return;
        }
        closed = true;
        if (!socket.isClosed()) {
            socket.close(code, reason);
        }
    }

    /** Vert.x saw the connection close (either side). */
    void closed() {
        closed = true;
    }
}
