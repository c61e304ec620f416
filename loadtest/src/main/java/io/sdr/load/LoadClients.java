package io.sdr.load;

import io.netty.bootstrap.Bootstrap;
import io.netty.channel.AdaptiveRecvByteBufAllocator;
import io.netty.channel.Channel;
import io.netty.channel.ChannelFuture;
import io.netty.channel.ChannelInitializer;
import io.netty.channel.ChannelOption;
import io.netty.channel.EventLoopGroup;
import io.netty.channel.FixedRecvByteBufAllocator;
import io.netty.channel.MultiThreadIoEventLoopGroup;
import io.netty.channel.nio.NioIoHandler;
import io.netty.channel.socket.SocketChannel;
import io.netty.channel.socket.nio.NioSocketChannel;
import io.netty.util.concurrent.EventExecutor;
import org.HdrHistogram.Histogram;

import java.net.InetSocketAddress;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Random;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.atomic.AtomicLongArray;
import java.util.concurrent.atomic.AtomicReferenceArray;
import java.util.concurrent.locks.LockSupport;

/**
 * N WebSocket clients spread over a few Netty event loops (many clients per loop), and the
 * measurement window they record in. Healthy clients read as fast as they can; slow ones read at
 * a limited byte rate from the start; stalled ones read normally until the window opens, then stop
 * reading altogether (the transition is what hurts a server), and read again after it closes, so
 * the age of what was queued for them can be seen.
 */
final class LoadClients implements AutoCloseable {
    /** Latencies from 1 us to 100 s, 2 significant digits (1 %), small enough for one per client. */
    static Histogram newLatencyHistogram() {
        return new Histogram(1_000L, 100_000_000_000L, 2);
    }

    private final InetSocketAddress address;
    private final String hostHeader;
    private final String path;
    private final EventLoopGroup group;
    private final Bootstrap bootstrap;
    private final long slowBytesPerSecond;
    private final long staleAgeNs;
    private final int stalledRcvBufBytes;
    private final int readChunkBytes;
    final List<ClientStats> clients = new ArrayList<>();
    private final AtomicReferenceArray<Channel> channels;

    final AtomicInteger opened = new AtomicInteger();
    final AtomicInteger joined = new AtomicInteger();
    final AtomicInteger closed = new AtomicInteger();
    final AtomicLong otherMessages = new AtomicLong();
    /** Frames whose latency was measured from the writer's payload timestamp (slot already reused). */
    final AtomicLong writerClockFrames = new AtomicLong();
    private final CommitClock commitClock;

    // The window: set by the main thread, read by every event loop.
    private volatile boolean measuring;
    private volatile long windowStartNs;
    /** Healthy clients: the largest latency seen in each second of the window (shows stalls in time). */
    final AtomicLongArray maxLatencyBySecond = new AtomicLongArray(LoadCommand.MAX_DURATION_S + 1);

    LoadClients(final InetSocketAddress address, final String path, final int clientCount, final int slowCount,
                final int stalledCount, final int joinerCount, final long slowBytesPerSecond, final int eventLoops, final int rcvBufBytes,
                final int stalledRcvBufBytes, final int readChunkBytes, final long staleAgeNs,
                final CommitClock commitClock) {
        this.commitClock = commitClock;
        this.address = address;
        this.hostHeader = address.getHostString() + ":" + address.getPort();
        this.path = path;
        this.slowBytesPerSecond = slowBytesPerSecond;
        this.staleAgeNs = staleAgeNs;
        final List<ClientStats.Kind> kinds = new ArrayList<>();
        for (int i = 0; i < clientCount; i++) {
            kinds.add(i < stalledCount ? ClientStats.Kind.STALLED
                : i < stalledCount + slowCount ? ClientStats.Kind.SLOW : ClientStats.Kind.HEALTHY);
        }
        // Spread the kinds over connection order (and so over event loops on both sides), reproducibly.
        Collections.shuffle(kinds, new Random(42));
        for (int i = 0; i < clientCount; i++) {
            clients.add(new ClientStats(i, kinds.get(i)));
        }
        for (int i = 0; i < joinerCount; i++) {
            clients.add(new ClientStats(clientCount + i, ClientStats.Kind.JOINER));
        }
        this.channels = new AtomicReferenceArray<>(clientCount + joinerCount);
        this.group = new MultiThreadIoEventLoopGroup(eventLoops, NioIoHandler.newFactory());
        this.bootstrap = new Bootstrap().group(group).channel(NioSocketChannel.class)
            .option(ChannelOption.TCP_NODELAY, true)
            .option(ChannelOption.CONNECT_TIMEOUT_MILLIS, 10_000);
        this.readChunkBytes = readChunkBytes;
        if (rcvBufBytes > 0) {
            bootstrap.option(ChannelOption.SO_RCVBUF, rcvBufBytes);
        }
        this.stalledRcvBufBytes = stalledRcvBufBytes;
    }

    /**
     * Before {@link #connectAll}: client {@code id} becomes a narrow-link viewer of rate class
     * {@code rateClass}, reading {@code bytesPerSecond} with a {@code rcvBufBytes} receive buffer.
     */
    void narrow(final int id, final int rateClass, final long bytesPerSecond, final int rcvBufBytes) {
        final ClientStats c = new ClientStats(id, ClientStats.Kind.NARROW);
        c.rateClass = rateClass;
        c.readBytesPerSecond = bytesPerSecond;
        c.rcvBufBytes = rcvBufBytes;
        clients.set(id, c);
    }

    long slowBytesPerSecond() {
        return slowBytesPerSecond;
    }

    /** Opens every connection at {@code perSecond} connects per second; returns when all are started. */
    void connectAll(final double perSecond) {
        final long startNs = System.nanoTime();
        for (final ClientStats client : clients) {
            if (client.kind == ClientStats.Kind.JOINER) {
                continue;
            }
            final long dueNs = startNs + (long) (client.id * 1e9 / perSecond);
            for (long wait = dueNs - System.nanoTime(); wait > 0; wait = dueNs - System.nanoTime()) {
                LockSupport.parkNanos(wait);
            }
            connect(client);
        }
    }

    private void connect(final ClientStats client) {
        final boolean slow = client.paced();
        final long rate = client.readBytesPerSecond > 0 ? client.readBytesPerSecond : slowBytesPerSecond;
        final Bootstrap b = bootstrap.clone();
        if (client.kind == ClientStats.Kind.STALLED && stalledRcvBufBytes > 0) {
            // Set before connect, so the window scale is chosen for it.
            b.option(ChannelOption.SO_RCVBUF, stalledRcvBufBytes);
        } else if (client.rcvBufBytes > 0) {
            b.option(ChannelOption.SO_RCVBUF, client.rcvBufBytes);
        }
        b.handler(new ChannelInitializer<SocketChannel>() {
            @Override
            protected void initChannel(final SocketChannel ch) {
                if (slow) {
                    // Reads are paced by the handler: small fixed reads, one per read() call.
                    final int chunk = (int) Math.max(1024, Math.min(16 * 1024, rate / 100));
                    ch.config().setAutoRead(false);
                    ch.config().setRecvByteBufAllocator(new FixedRecvByteBufAllocator(chunk).maxMessagesPerRead(1));
                } else {
                    // Big reads: fewer syscalls per byte for the tool, which shares the cores with the server.
                    ch.config().setRecvByteBufAllocator(new AdaptiveRecvByteBufAllocator(512, 16 * 1024, readChunkBytes));
                }
                ch.pipeline().addLast(new ClientHandler(LoadClients.this, client, hostHeader, path));
            }
        });
        client.connectStartNs = System.nanoTime();
        final ChannelFuture future = b.connect(address);
        channels.set(client.id, future.channel());
        future.addListener(f -> {
            if (!f.isSuccess()) {
                client.failure = "connect: " + f.cause();
                closed.incrementAndGet();
            }
        });
    }

    // ---- called on event loops ------------------------------------------------------------------

    void onOpen(final ClientStats client, final Channel channel) {
        opened.incrementAndGet();
    }

    void onVideo(final ClientStats c, final long seq, final boolean keyframe, final long writerNs, final long bytes,
                 final long nowNs, final int tier) {
        c.framesTotal++;
        c.tierSeen(tier, nowNs);
        if (c.firstFrameNs == 0) {
            c.firstFrameNs = nowNs;
            c.firstNotKeyframe = !keyframe;
        }
        if (keyframe && c.firstKeyframeNs == 0) {
            c.firstKeyframeNs = nowNs;
            joined.incrementAndGet();
        }
        final long previous = c.lastSeq;
        c.lastSeq = seq;
        long commitNs = commitClock == null ? -1 : commitClock.commitNs(seq);
        if (commitNs < 0) {
            writerClockFrames.incrementAndGet();
            commitNs = writerNs;
        }
        final long ageNs = commitNs == 0 ? -1 : nowNs - commitNs;
        if (c.kind == ClientStats.Kind.STALLED && c.paused) {
            // What a stalled client finds once it reads again: the frames older than two frame
            // intervals were queued for it (server queue, both kernels' buffers) while it stalled.
            if (c.resumed) {
                c.resumeFrames++;
                if (c.resumeFirstAgeNs < 0) {
                    c.resumeFirstAgeNs = ageNs;
                }
                c.resumeMaxAgeNs = Math.max(c.resumeMaxAgeNs, ageNs);
                if (ageNs > staleAgeNs) {
                    c.resumeStaleFrames++;
                    c.resumeStaleBytes += bytes;
                }
            }
            return;
        }
        if (!measuring) {
            return;
        }
        c.frames++;
        c.bytes += bytes;
        if (keyframe) {
            c.keyframes++;
        }
        if (previous != 0 && seq != previous + 1) {
            if (seq > previous) {
                c.dropped += seq - previous - 1;
            }
            if (keyframe) {
                c.keyframeWaits++;
            } else {
                c.gapsWithoutKeyframe++;
            }
        }
        c.inSecond((int) Math.max(0, (nowNs - windowStartNs) / 1_000_000_000L), ageNs, tier);
        if (ageNs >= 0) {
            c.latencyNs.recordValue(Math.min(Math.max(ageNs, 1_000L), c.latencyNs.getHighestTrackableValue()));
            if (c.kind == ClientStats.Kind.HEALTHY) {
                final int second = (int) Math.min(maxLatencyBySecond.length() - 1, Math.max(0, (nowNs - windowStartNs) / 1_000_000_000L));
                if (maxLatencyBySecond.get(second) < ageNs) {
                    maxLatencyBySecond.accumulateAndGet(second, ageNs, Math::max);
                }
            }
        }
    }

    void onOtherMessage() {
        otherMessages.incrementAndGet();
    }

    void onClosed(final ClientStats client) {
        closed.incrementAndGet();
    }

    // ---- main thread ----------------------------------------------------------------------------

    /**
     * Opens the window. Stalled clients stop reading now; the k-th of n resumes {@code stallMs * k / n}
     * later, so the resumes sample every phase of the server's handling of a stalled socket.
     */
    void startWindow(final long stallMs) {
        final List<ClientStats> stalled = new ArrayList<>();
        for (final ClientStats c : clients) {
            if (c.kind == ClientStats.Kind.STALLED) {
                stalled.add(c);
            }
        }
        for (int k = 0; k < stalled.size(); k++) {
            final ClientStats c = stalled.get(k);
            final Channel channel = channels.get(c.id);
            if (channel == null || !channel.isActive()) {
                continue;
            }
            channel.eventLoop().execute(() -> {
                c.paused = true;
                channel.config().setAutoRead(false);
            });
            channel.eventLoop().schedule(() -> {
                c.resumed = true;
                c.resumeAtNs = System.nanoTime();
                channel.config().setAutoRead(true);
            }, stallMs * (k + 1) / stalled.size(), TimeUnit.MILLISECONDS);
        }
        windowStartNs = System.nanoTime();
        measuring = true;
    }

    /** Connects the joiners one by one, evenly over the first {@code spreadMs} of the window. */
    void startJoiners(final long spreadMs) {
        final List<ClientStats> joiners = new ArrayList<>();
        for (final ClientStats c : clients) {
            if (c.kind == ClientStats.Kind.JOINER) {
                joiners.add(c);
            }
        }
        for (int k = 0; k < joiners.size(); k++) {
            final ClientStats c = joiners.get(k);
            // Bootstrap.clone and connect are safe from any thread; channels is an atomic array.
            group.schedule(() -> connect(c), spreadMs * (k + 1) / (joiners.size() + 1), TimeUnit.MILLISECONDS);
        }
    }

    void endWindow() {
        measuring = false;
        quiesce();
    }

    /**
     * Runs a no-op on every event loop and waits: every client's fields written before it are then
     * visible to the caller (the task's completion happens-after them).
     */
    void quiesce() {
        for (final EventExecutor executor : group) {
            try {
                executor.submit(() -> { }).get(10, TimeUnit.SECONDS);
            } catch (final InterruptedException e) {
                Thread.currentThread().interrupt();
                return;
            } catch (final ExecutionException | TimeoutException e) {
                throw new IllegalStateException("event loop did not answer: " + e, e);
            }
        }
    }

    @Override
    public void close() {
        for (int i = 0; i < channels.length(); i++) {
            final Channel channel = channels.get(i);
            if (channel != null) {
                channel.close();
            }
        }
        group.shutdownGracefully(0, 2, TimeUnit.SECONDS).awaitUninterruptibly(5, TimeUnit.SECONDS);
    }
}
