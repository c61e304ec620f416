package io.sdr.load;

import io.netty.buffer.ByteBuf;
import io.netty.buffer.Unpooled;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInboundHandlerAdapter;
import io.netty.util.ReferenceCountUtil;

import java.lang.invoke.MethodHandles;
import java.lang.invoke.VarHandle;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.util.concurrent.TimeUnit;

/**
 * One load client's connection: a hand-written WebSocket client that reads the server's frames as
 * a stream, keeping only the first 42 bytes of each message ({@code [0x01][32-byte frame header]
 * [8-byte writer timestamp][tier byte]}) and skipping the rest in place. No aggregation, no copy beyond the
 * kernel's: the load tool shares 2 cores with the server and must stay cheap per byte.
 *
 * <pre>
 *   video message:  | 0x01 | frame_id u64 | frame_seq u64 | size u32 | flags u16 | codec u16 | crc | res | payload ... |
 *                      0      1             9               17         21          23                       33: writer nanoTime (u64 LE)
 *                                                                                                           41: tier (u8, RingFeeder)
 * </pre>
 *
 * Confined to the channel's event loop.
 */
final class ClientHandler extends ChannelInboundHandlerAdapter {
    private static final VarHandle LONG_LE = MethodHandles.byteArrayViewVarHandle(long[].class, ByteOrder.LITTLE_ENDIAN);
    private static final VarHandle SHORT_LE = MethodHandles.byteArrayViewVarHandle(short[].class, ByteOrder.LITTLE_ENDIAN);
    private static final byte[] CRLFCRLF = {'\r', '\n', '\r', '\n'};
    /** Bytes of each message the client keeps: type, frame header, writer timestamp, tier. */
    static final int HEAD_BYTES = 1 + 32 + 8 + 1;
    private static final int MAX_HANDSHAKE_BYTES = 16 * 1024;

    private final LoadClients clients;
    private final ClientStats stats;
    private final String host;
    private final String path;

    // Handshake: the response is collected until its blank line (a few hundred bytes).
    private ByteBuf handshake = Unpooled.buffer(512);
    private boolean open;

    // Frame parser state (RFC 6455, server frames are unmasked).
    private final byte[] frameHeader = new byte[14];
    private int frameHeaderHave;
    private int frameHeaderNeed = 2;
    private boolean inPayload;
    private long payloadRemaining;
    private boolean fin;
    private int opcode;
    private final byte[] control = new byte[125];
    private int controlHave;

    // Message state (a message may span several frames: Vert.x fragments big messages).
    private final byte[] head = new byte[HEAD_BYTES];
    private int headHave;
    private long messageBytes;

    // Slow clients: byte-rate pacing of reads.
    private long pacedSinceNs;
    private long pacedBytes;
    private boolean readScheduled;

    ClientHandler(final LoadClients clients, final ClientStats stats, final String host, final String path) {
        this.clients = clients;
        this.stats = stats;
        this.host = host;
        this.path = path;
    }

    @Override
    public void channelActive(final ChannelHandlerContext ctx) {
        final String request = "GET " + path + " HTTP/1.1\r\n"
            + "Host: " + host + "\r\n"
            + "Upgrade: websocket\r\n"
            + "Connection: Upgrade\r\n"
            + "Sec-WebSocket-Key: c2RyLWxvYWQtY2xpZW50LQ==\r\n"
            + "Sec-WebSocket-Version: 13\r\n\r\n";
        ctx.writeAndFlush(Unpooled.copiedBuffer(request, StandardCharsets.US_ASCII));
        if (!ctx.channel().config().isAutoRead()) {
            ctx.read();
        }
    }

    @Override
    public void channelRead(final ChannelHandlerContext ctx, final Object msg) {
        final ByteBuf in = (ByteBuf) msg;
        try {
            if (stats.paced()) {
                pacedBytes += in.readableBytes();
            }
            if (!open) {
                readHandshake(ctx, in);
            }
            if (open) {
                readFrames(ctx, in);
            }
        } finally {
            ReferenceCountUtil.release(in);
        }
    }

    @Override
    public void channelReadComplete(final ChannelHandlerContext ctx) {
        if (!stats.paced() || readScheduled || !ctx.channel().isActive()) {
            return;
        }
        // Slow client: the next read may happen once the bytes read so far fit the rate.
        final long now = System.nanoTime();
        if (pacedSinceNs == 0) {
            pacedSinceNs = now;
        }
        final long rate = stats.readBytesPerSecond > 0 ? stats.readBytesPerSecond : clients.slowBytesPerSecond();
        final long dueNs = pacedSinceNs + (long) (pacedBytes * 1e9 / rate);
        if (dueNs - now <= 0) {
            ctx.read();
            return;
        }
        readScheduled = true;
        ctx.executor().schedule(() -> {
            readScheduled = false;
            if (ctx.channel().isActive()) {
                ctx.read();
            }
        }, dueNs - now, TimeUnit.NANOSECONDS);
    }

    private void readHandshake(final ChannelHandlerContext ctx, final ByteBuf in) {
        final int before = handshake.writerIndex();
        handshake.writeBytes(in, Math.min(in.readableBytes(), MAX_HANDSHAKE_BYTES - before));
        final int end = indexOf(handshake, CRLFCRLF);
        if (end < 0) {
            if (handshake.writerIndex() >= MAX_HANDSHAKE_BYTES) {
                fail(ctx, "handshake response too long");
            }
            return;
        }
        final String response = handshake.toString(0, end, StandardCharsets.US_ASCII);
        // Bytes after the blank line are already WebSocket frames: give them back to the parser.
        final int extra = handshake.writerIndex() - (end + 4);
        in.readerIndex(in.readerIndex() - extra);
        handshake.release();
        handshake = null;
        if (!response.startsWith("HTTP/1.1 101")) {
            fail(ctx, "upgrade refused: " + response.lines().findFirst().orElse(""));
            return;
        }
        open = true;
        stats.openNs = System.nanoTime();
        clients.onOpen(stats, ctx.channel());
    }

    private static int indexOf(final ByteBuf buffer, final byte[] needle) {
        outer:
        for (int i = 0; i <= buffer.writerIndex() - needle.length; i++) {
            for (int j = 0; j < needle.length; j++) {
                if (buffer.getByte(i + j) != needle[j]) {
                    continue outer;
                }
            }
            return i;
        }
        return -1;
    }

    private void readFrames(final ChannelHandlerContext ctx, final ByteBuf in) {
        while (in.isReadable()) {
            if (!inPayload) {
                frameHeader[frameHeaderHave++] = in.readByte();
                if (frameHeaderHave == 2) {
                    final int len7 = frameHeader[1] & 0x7f;
                    frameHeaderNeed = 2 + (len7 == 126 ? 2 : len7 == 127 ? 8 : 0) + ((frameHeader[1] & 0x80) != 0 ? 4 : 0);
                }
                if (frameHeaderHave == frameHeaderNeed) {
                    startFrame(ctx);
                }
                continue;
            }
            final int n = (int) Math.min(in.readableBytes(), payloadRemaining);
            if (opcode >= 8) {
                final int keep = Math.min(n, control.length - controlHave);
                in.getBytes(in.readerIndex(), control, controlHave, keep);
                controlHave += keep;
            } else if (headHave < HEAD_BYTES) {
                final int keep = Math.min(n, HEAD_BYTES - headHave);
                in.getBytes(in.readerIndex(), head, headHave, keep);
                headHave += keep;
            }
            in.skipBytes(n);
            messageBytes += opcode >= 8 ? 0 : n;
            payloadRemaining -= n;
            if (payloadRemaining == 0) {
                endFrame(ctx);
            }
        }
    }

    private void startFrame(final ChannelHandlerContext ctx) {
        fin = (frameHeader[0] & 0x80) != 0;
        opcode = frameHeader[0] & 0x0f;
        final int len7 = frameHeader[1] & 0x7f;
        long length = len7;
        if (len7 == 126) {
            length = ((frameHeader[2] & 0xff) << 8) | (frameHeader[3] & 0xff);
        } else if (len7 == 127) {
            length = 0;
            for (int i = 2; i < 10; i++) {
                length = (length << 8) | (frameHeader[i] & 0xff);
            }
        }
        frameHeaderHave = 0;
        frameHeaderNeed = 2;
        if (opcode == 1 || opcode == 2) {
            headHave = 0;
            messageBytes = 0;
        }
        controlHave = 0;
        payloadRemaining = length;
        inPayload = true;
        if (length == 0) {
            endFrame(ctx);
        }
    }

    private void endFrame(final ChannelHandlerContext ctx) {
        inPayload = false;
        if (opcode == 8) {
            // Close code: big-endian u16; 1005 = none given.
            stats.closeCode = controlHave >= 2 ? ((control[0] & 0xff) << 8) | (control[1] & 0xff) : 1005;
            ctx.close();
            return;
        }
        if (opcode < 8 && fin) {
            onMessage(System.nanoTime());
        }
    }

    private void onMessage(final long nowNs) {
        if (headHave < 1 + 32 || head[0] != 0x01) {
            clients.onOtherMessage();
            return;
        }
        final long seq = (long) LONG_LE.get(head, 1 + 8);
        final int flags = ((short) SHORT_LE.get(head, 1 + 20)) & 0xffff;
        final long writerNs = headHave >= 1 + 32 + 8 ? (long) LONG_LE.get(head, 33) : 0;
        final int tier = headHave >= HEAD_BYTES ? head[HEAD_BYTES - 1] & 0xff : -1;
        clients.onVideo(stats, seq, (flags & 1) != 0, writerNs, messageBytes, nowNs, tier);
    }

    private void fail(final ChannelHandlerContext ctx, final String why) {
        stats.failure = why;
        ctx.close();
    }

    @Override
    public void channelInactive(final ChannelHandlerContext ctx) {
        if (stats.closeCode == 0) {
            stats.closeCode = -1;
        }
        if (handshake != null) {
            handshake.release();
            handshake = null;
        }
        clients.onClosed(stats);
    }

    @Override
    public void exceptionCaught(final ChannelHandlerContext ctx, final Throwable cause) {
        if (stats.failure == null) {
            stats.failure = cause.toString();
        }
        ctx.close();
    }
}
