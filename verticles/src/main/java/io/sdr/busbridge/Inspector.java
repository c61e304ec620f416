package io.sdr.busbridge;

import io.sdr.bus.Addresses;
import io.sdr.bus.FrameConsumers;
import io.sdr.bus.Telemetry;
import io.vertx.core.Vertx;
import io.vertx.core.eventbus.DeliveryOptions;
import io.vertx.core.eventbus.EventBus;
import io.vertx.core.eventbus.MessageConsumer;

import java.util.HashMap;
import java.util.Map;
import java.util.concurrent.atomic.AtomicLong;
import java.util.function.Predicate;

/**
 * Taps the local-object addresses for the bridge: while at least one bridge client listens to
 * {@code inspect.frames.S} (or {@code inspect.telemetry}, or their {@code inspect.payload.*}
 * variants), a local consumer of {@code frames.S} ({@code telemetry}) republishes each message as
 * a small JSON summary there. Nobody listening, no consumer: the video path is exactly as without
 * the bridge. The tap never blocks or copies the video: a summary reads the frame's header fields
 * (and at most {@code payloadMaxBytes} of payload when a payload address is tapped). A summary
 * is skipped (and counted) while a listener's socket cannot take more: the bridge writes without
 * backpressure, so a stalled {@code tail} would otherwise grow the server's memory.
 * Confined to the bridge's event loop.
 */
final class Inspector {
    /** Summaries stay on this node: its bridge's listeners started the tap. */
    private static final DeliveryOptions LOCAL = new DeliveryOptions().setLocalOnly(true);

    private final Vertx vertx;
    private final BridgeConfig config;
    private final Predicate<String> congested;
    private final Map<String, MessageConsumer<?>> taps = new HashMap<>();
    /** Summaries published, for stats. */
    final AtomicLong summaries = new AtomicLong();
    /** Summaries skipped because a listener's socket was full. */
    final AtomicLong skipped = new AtomicLong();

    /** @param congested whether a listener of an inspection address cannot take more now */
    Inspector(final Vertx vertx, final BridgeConfig config, final Predicate<String> congested) {
        this.vertx = vertx;
        this.config = config;
        this.congested = congested;
    }

    /** Whether {@code address} is an inspection address this server serves (a configured stream, payloads allowed). */
    boolean serves(final String address) {
        final String source = Addresses.inspectedBy(address);
        if (source == null) {
            return false;
        }
        if (Addresses.isPayloadInspection(address) && config.payloadMaxBytes() == 0) {
            return false;
        }
        return source.equals(Addresses.TELEMETRY) || config.streams().stream().anyMatch(s -> Addresses.frames(s).equals(source));
    }

    /** Starts or stops the tap of {@code address} for its new listener count. */
    void listenersChanged(final String address, final int listeners) {
        if (listeners > 0 && !taps.containsKey(address) && serves(address)) {
            taps.put(address, tap(address));
        } else if (listeners == 0) {
            final MessageConsumer<?> tap = taps.remove(address);
            if (tap != null) {
                tap.unregister();
            }
        }
    }

    private MessageConsumer<?> tap(final String address) {
        final EventBus bus = vertx.eventBus();
        final String source = Addresses.inspectedBy(address);
        final int payloadMaxBytes = Addresses.isPayloadInspection(address) ? config.payloadMaxBytes() : 0;
        if (source.equals(Addresses.TELEMETRY)) {
            return bus.<Telemetry>localConsumer(source, message -> {
                if (congested.test(address)) {
                    skipped.incrementAndGet();
                    return;
                }
                summaries.incrementAndGet();
                bus.publish(address, Summaries.telemetry(message.body(), System.nanoTime(), config.textMaxChars(), payloadMaxBytes), LOCAL);
            });
        }
        return FrameConsumers.local(bus, source, frame -> {
            if (congested.test(address)) {
                skipped.incrementAndGet();
                return;
            }
            summaries.incrementAndGet();
            bus.publish(address, Summaries.frame(frame, System.nanoTime(), payloadMaxBytes), LOCAL);
        });
    }

    void close() {
        taps.values().forEach(MessageConsumer::unregister);
        taps.clear();
    }
}
