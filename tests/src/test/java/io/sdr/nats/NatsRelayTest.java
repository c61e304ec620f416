package io.sdr.nats;

import org.junit.jupiter.api.extension.RegisterExtension;
import io.sdr.testing.Http;
import io.sdr.testing.WireMessages;
import io.sdr.testing.WireViewer;
import io.nats.client.Connection;
import io.nats.client.Message;
import io.nats.client.Subscription;
import io.sdr.testing.WireMessages.TelemetryMessage;
import io.vertx.core.Vertx;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import io.vertx.junit5.VertxExtension;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.extension.ExtendWith;
import org.junit.jupiter.api.io.TempDir;

import java.net.URLEncoder;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.function.Consumer;
import java.util.stream.Collectors;

import static io.sdr.nats.NatsTestKit.*;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertTrue;
import io.sdr.testing.Ports;
import static io.sdr.testing.Await.eventually;
import static io.sdr.testing.Await.await;
import static io.sdr.testing.Await.PATIENCE;

/**
 * NATS -> WebSocket relay against a real nats-server, the server in-process: bytes on the wire,
 * size caps, client subscriptions (and hostile subscription messages), the latest-value join and
 * keyframe requests going upstream on the control subject.
 */
@ExtendWith(VertxExtension.class)
@Timeout(90)
class NatsRelayTest {
    private static final String WARMUP = "telemetry.warmup";
    @RegisterExtension
    static final NatsServerProcess.PerClass nats = new NatsServerProcess.PerClass();

    @TempDir
    Path dir;
    private int port;
    private Connection publisher;

    @AfterEach
    void stopServer(final Vertx vertx) {
        undeployAll(vertx);
        close(publisher);
    }

    /** Deploys the server (conf adjusted by {@code tweak}) and waits until the bridge is connected. */
    private void startServer(final Vertx vertx, final Consumer<JsonObject> tweak) {
        port = Ports.freePort();
        final JsonObject conf = conf(dir.resolve("frames"), port, nats.url());
        tweak.accept(conf);
        deploy(vertx, conf);
        eventually("/health says nats connected", () -> "connected".equals(natsStatus(port)));
        publisher = connect(nats.url());
    }

    /**
     * "Connected" is reported once the SUB is sent; a message published on another connection
     * may still race it. Publishes a warm-up message until {@code viewer} gets one.
     */
    private void awaitRelaying(final WireViewer viewer) {
        eventually(viewer.name + " receives telemetry", () -> {
            publisher.publish(WARMUP, "warmup".getBytes(StandardCharsets.UTF_8));
            flush(publisher);
            final long until = System.nanoTime() + 100_000_000L;
            while (System.nanoTime() < until) {
                if (viewer.first(m -> m.subject().equals(WARMUP)) != null) {
                    return true;
                }
                Thread.onSpinWait();
            }
            return false;
        });
    }

    private static List<WireMessages.TelemetryMessage> withoutWarmup(final List<WireMessages.TelemetryMessage> messages) {
        return messages.stream().filter(m -> !m.subject().equals(WARMUP)).collect(Collectors.toList());
    }

    private static byte[] utf8(final String s) {
        return s.getBytes(StandardCharsets.UTF_8);
    }

    @Test
    void shouldRelayNatsMessagesToEveryClientByteExact(final Vertx vertx) {
        startServer(vertx, conf -> { });
        final WireViewer a = WireViewer.connect(WireViewer.wsClient(vertx, 0), port, "a");
        final WireViewer b = WireViewer.connect(WireViewer.wsClient(vertx, 0), port, "b");
        awaitRelaying(a);
        awaitRelaying(b);

        final byte[] binary = new byte[256];
        for (int i = 0; i < binary.length; i++) {
            binary[i] = (byte) i;
        }
        // Subject bytes exactly as published (the raw protocol): ASCII, then UTF-8 with 2- and 4-byte characters.
        final Map<byte[], byte[]> sent = new LinkedHashMap<>();
        sent.put(utf8("telemetry.r1.pose"), utf8("{\"x\":1.5,\"y\":-2}"));
        sent.put(utf8("telemetry.r1.empty"), new byte[0]);
        sent.put(utf8("telemetry.robot-é.ü.\uD83D\uDE80"), binary);
        for (final Map.Entry<byte[], byte[]> e : sent.entrySet()) {
            rawPublish(nats.port(), e.getKey(), e.getValue());
        }
        for (final WireViewer viewer : List.of(a, b)) {
            eventually(viewer.name + " received the 3 messages", () -> withoutWarmup(viewer.telemetry()).size() >= 3);
            final List<WireMessages.TelemetryMessage> got = withoutWarmup(viewer.telemetry());
            assertEquals(3, got.size(), viewer.name + ": one message per NATS message");
            int i = 0;
            for (final Map.Entry<byte[], byte[]> e : sent.entrySet()) {
                final WireMessages.TelemetryMessage m = got.get(i++);
                assertArrayEquals(WireMessages.telemetryMessage(e.getKey(), e.getValue()), m.raw(),
                    viewer.name + ": [0x02][u16 LE subject length][subject UTF-8][payload] for " + m.subject());
                assertEquals(new String(e.getKey(), StandardCharsets.UTF_8), m.subject());
            }
            assertEquals(List.of(), viewer.problems(), viewer.name + ": malformed messages");
        }
        final JsonObject health = health(port).getJsonObject("nats");
        assertEquals("connected", health.getString("status"));
        assertTrue(health.getLong("relayed") >= 5, "relayed counts the messages: " + health);
    }

    @Test
    void shouldDropOversizedPayloadsAndSubjectsAndCountThem(final Vertx vertx) {
        startServer(vertx, conf -> conf.getJsonObject("nats").put("maxMessageBytes", 1024));
        final WireViewer viewer = WireViewer.connect(WireViewer.wsClient(vertx, 0), port, "viewer");
        awaitRelaying(viewer);

        final String prefix256 = "telemetry.cap.";
        final String subject256 = prefix256 + "é".repeat((256 - prefix256.length()) / 2); // 14 + 121 x 2 = 256 bytes
        final String subject257 = "telemetry.cap.x" + "é".repeat(121);                 // 257 bytes
        assertEquals(256, utf8(subject256).length);
        assertEquals(257, utf8(subject257).length);
        publisher.publish("telemetry.cap.fits", new byte[1024]);          // exactly maxMessageBytes: relayed
        publisher.publish("telemetry.cap.too-large", new byte[1025]);     // one byte over: dropped
        publisher.publish("telemetry.cap.huge", new byte[512 * 1024]);    // far over (NATS takes up to 1 MB)
        publisher.publish(subject256, utf8("longest subject"));           // 256 bytes: relayed
        publisher.publish(subject257, utf8("subject too long"));          // 257 bytes: dropped
        publisher.publish("telemetry.cap.end", utf8("end"));
        flush(publisher);

        viewer.await("the end marker", m -> m.subject().equals("telemetry.cap.end"));
        final List<String> subjects = withoutWarmup(viewer.telemetry()).stream().map(WireMessages.TelemetryMessage::subject)
            .collect(Collectors.toList());
        assertEquals(List.of("telemetry.cap.fits", subject256, "telemetry.cap.end"), subjects,
            "oversized payloads and the 257-byte subject are not relayed");
        assertArrayEquals(WireMessages.telemetryMessage(utf8(subject256), utf8("longest subject")),
            viewer.first(m -> m.subject().equals(subject256)).raw());
        assertEquals(3 + "telemetry.cap.fits".length() + 1024, viewer.first(m -> m.subject().equals("telemetry.cap.fits")).raw().length);

        final String metrics = Http.get(port, "/metrics").body();
        assertEquals(2.0, metric(metrics, "sdr_nats_messages_dropped_total", "reason=too_large"), "too_large drops in /metrics");
        assertEquals(1.0, metric(metrics, "sdr_nats_messages_dropped_total", "reason=bad_subject"), "bad_subject drops in /metrics");
        final JsonObject health = health(port).getJsonObject("nats");
        assertEquals(2, health.getLong("dropped_too_large"), "/health nats: " + health);
        assertEquals(1, health.getLong("dropped_bad_subject"), "/health nats: " + health);
    }

    @Test
    void shouldSendOnlySubscribedSubjectsAndIgnoreInvalidClientMessages(final Vertx vertx) {
        startServer(vertx, conf -> { });
        final WireViewer all = WireViewer.connect(WireViewer.wsClient(vertx, 0), port, "all");
        final WireViewer picky = WireViewer.connect(WireViewer.wsClient(vertx, 0), port, "picky");
        awaitRelaying(all);
        awaitRelaying(picky);
        picky.subscribe("telemetry.r1.>", "telemetry.*.battery");
        eventually("the subscription is applied", () -> metric(port, "sdr_ws_client_messages_total", "result=subscribe") >= 1);

        // Hostile and malformed messages: each is ignored and counted; the connection and the
        // subscription above stay as they were.
        final List<String> invalid = new ArrayList<>(List.of(
            "not json",
            "",
            "[]",
            "null",
            "{\"subscribe\":\"telemetry.>\"}",
            "{\"subscribe\":[\"telemetry..x\"]}",
            "{\"subscribe\":[\"telemetry.>.x\"]}",
            "{\"subscribe\":[\"telemetry.a b\"]}",
            "{\"subscribe\":[1]}",
            "{\"subscribe\":[null]}",
            "{\"subscribe\":[\"telemetry.>\"],\"extra\":1}",
            "{\"unsubscribe\":[\"telemetry.>\"]}",
            "[".repeat(5000) + "]".repeat(5000),
            "{\"subscribe\":[\"" + "x".repeat(300) + "\"]}"));
        final JsonArray tooMany = new JsonArray();
        for (int i = 0; i < 65; i++) {
            tooMany.add("telemetry.s" + i);
        }
        invalid.add(new JsonObject().put("subscribe", tooMany).encode());
        for (final String text : invalid) {
            picky.sendText(text);
        }
        await(picky.socket.writeBinaryMessage(Buffer.buffer("{\"subscribe\":[\">\"]}")));
        eventually("every invalid message counted", () ->
            metric(port, "sdr_ws_client_messages_total", "result=invalid") == invalid.size());
        eventually("the binary message counted as ignored", () ->
            metric(port, "sdr_ws_client_messages_total", "result=binary_ignored") == 1);

        final List<String> published = List.of("telemetry.r1.pose", "telemetry.r2.pose", "telemetry.r2.battery",
            "telemetry.r1.arm.joint3", "telemetry.r3.x", "telemetry.r1.end");
        for (final String subject : published) {
            publisher.publish(subject, utf8("v1 " + subject));
        }
        flush(publisher);
        all.await("the end marker", m -> m.subject().equals("telemetry.r1.end"));
        picky.await("the end marker", m -> m.subject().equals("telemetry.r1.end"));
        assertEquals(published, subjects(withoutWarmup(all.telemetry())), "a client that chose nothing gets everything");
        assertEquals(List.of("telemetry.r1.pose", "telemetry.r2.battery", "telemetry.r1.arm.joint3", "telemetry.r1.end"),
            subjects(withoutWarmup(picky.telemetry())), "a subscribed client gets only its subjects, in order");
        assertFalse(picky.closed.isDone(), "invalid messages do not close the connection");

        // A new subscription replaces the old one and brings the latest value of its subjects at once.
        final int before = picky.telemetryCount();
        picky.subscribe("telemetry.r3.>");
        final WireMessages.TelemetryMessage r3 = picky.await("the cached telemetry.r3.x", m -> m.subject().equals("telemetry.r3.x"));
        assertEquals("v1 telemetry.r3.x", r3.text());
        publisher.publish("telemetry.r1.pose", utf8("v2"));
        publisher.publish("telemetry.r3.y", utf8("v2"));
        flush(publisher);
        picky.await("telemetry.r3.y", m -> m.subject().equals("telemetry.r3.y"));
        assertEquals(List.of("telemetry.r3.x", "telemetry.r3.y"), subjects(picky.telemetry().subList(before, picky.telemetryCount())));
        assertEquals(List.of(), picky.problems());
    }

    private static List<String> subjects(final List<WireMessages.TelemetryMessage> messages) {
        return messages.stream().map(WireMessages.TelemetryMessage::subject).collect(Collectors.toList());
    }

    @Test
    void shouldSendLatestValueOfEachSubjectToJoiningClientAtOnce(final Vertx vertx) {
        startServer(vertx, conf -> { });
        final WireViewer watcher = WireViewer.connect(WireViewer.wsClient(vertx, 0), port, "watcher");
        awaitRelaying(watcher);
        final List<String> subjects = List.of("telemetry.j.a", "telemetry.j.b", "telemetry.j.c", "telemetry.other.z");
        for (int round = 1; round <= 3; round++) {
            for (final String subject : subjects) {
                publisher.publish(subject, utf8(subject + "=" + round));
            }
        }
        flush(publisher);
        watcher.await("the last value", m -> m.text().equals("telemetry.other.z=3"));

        // Nothing is published from here on: whatever a joiner gets comes from the latest-value cache.
        final WireViewer joiner = WireViewer.connect(WireViewer.wsClient(vertx, 0), port, "joiner");
        joiner.awaitTelemetry(1 + subjects.size());
        final Map<String, String> latest = new LinkedHashMap<>();
        for (final WireMessages.TelemetryMessage m : joiner.telemetry()) {
            assertTrue(latest.put(m.subject(), m.text()) == null, "one message per subject: " + m.subject());
        }
        for (final String subject : subjects) {
            assertEquals(subject + "=3", latest.get(subject), "latest value of " + subject);
        }
        assertEquals(subjects.size() + 1, latest.size(), "every cached subject (and the warm-up), nothing else: " + latest);

        // A client that names its subjects in the URL gets the latest values of those only, at once.
        final WireViewer picky = WireViewer.connect(WireViewer.wsClient(vertx, 0), port,
            "/stream/ws?subscribe=" + URLEncoder.encode("telemetry.j.>,telemetry.none.*", StandardCharsets.UTF_8), "picky");
        picky.awaitTelemetry(3);
        publisher.publish("telemetry.other.z", utf8("telemetry.other.z=4"));
        publisher.publish("telemetry.j.b", utf8("telemetry.j.b=4"));
        flush(publisher);
        picky.await("live update", m -> m.text().equals("telemetry.j.b=4"));
        assertEquals(List.of("telemetry.j.a=3", "telemetry.j.b=3", "telemetry.j.c=3", "telemetry.j.b=4"),
            picky.telemetry().stream().map(WireMessages.TelemetryMessage::text).collect(Collectors.toList()),
            "the latest of its subjects at join, then live updates of those only");
        // A text subscription later replaces the choice and brings the latest values of the new subjects.
        picky.subscribe("telemetry.other.>");
        picky.await("the cached telemetry.other.z", m -> m.text().equals("telemetry.other.z=4"));
        assertEquals(5, picky.telemetryCount());
        assertEquals(400, Http.get(port, "/stream/ws?subscribe=" + URLEncoder.encode("telemetry..x", StandardCharsets.UTF_8)).status(),
            "an invalid subscribe parameter is refused before the upgrade");
    }

    @Test
    void shouldPublishKeyframeRequestOnControlSubjectWhenClientJoinsWithoutGop(final Vertx vertx) throws Exception {
        startServer(vertx, conf -> { });
        final Subscription control = publisher.subscribe("sdr.control.keyframe.>");
        flush(publisher);
        // No ring, no GOP cached: the joining client waits for a keyframe, which is requested upstream.
        final WireViewer viewer = WireViewer.connect(WireViewer.wsClient(vertx, 0), port, "joiner");
        final Message request = control.nextMessage(PATIENCE);
        assertNotNull(request, "a keyframe request on sdr.control.keyframe.main");
        assertEquals("sdr.control.keyframe.main", request.getSubject());
        assertEquals(new JsonObject().put("stream", "main").put("reason", "join"),
            new JsonObject(new String(request.getData(), StandardCharsets.UTF_8)));
        eventually("counted in /metrics", () -> metric(port, "sdr_nats_keyframe_requests_sent_total") >= 1);
        assertFalse(viewer.closed.isDone());
    }
}
