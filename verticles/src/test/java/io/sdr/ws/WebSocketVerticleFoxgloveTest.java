package io.sdr.ws;

import com.google.protobuf.ByteString;
import com.google.protobuf.DynamicMessage;
import io.sdr.bus.Addresses;
import io.sdr.bus.Telemetry;
import io.sdr.foxglove.CompressedVideo;
import io.sdr.ring.RingWriter;
import io.sdr.testing.PacedFeeder;
import static io.sdr.ws.WebSocketVerticleTestKit.feeder;
import io.vertx.core.Vertx;
import io.vertx.core.http.UpgradeRejectedException;
import io.vertx.core.http.WebSocket;
import io.vertx.core.http.WebSocketClient;
import io.vertx.core.http.WebSocketConnectOptions;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import org.junit.jupiter.api.Test;

import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.CopyOnWriteArrayList;

import static io.sdr.ws.SecurityTestKit.SECRET;
import static io.sdr.ws.SecurityTestKit.authConf;
import static io.sdr.ws.SecurityTestKit.body;
import static io.sdr.ws.SecurityTestKit.grants;
import static io.sdr.ws.SecurityTestKit.mint;
import static io.sdr.ws.SecurityTestKit.refused;
import static io.sdr.ws.SecurityTestKit.token;
import static io.sdr.ws.SecurityTestKit.ws;
import static io.sdr.testing.Await.await;
import static io.sdr.ws.WebSocketVerticleTestKit.client;
import static io.sdr.ws.WebSocketVerticleTestKit.conf;
import static io.sdr.ws.WebSocketVerticleTestKit.deploy;
import static io.sdr.testing.Await.eventually;
import static io.sdr.testing.Ports.freePort;
import static io.sdr.testing.WireViewer.isHandshakeRace;
import static io.sdr.ws.WebSocketVerticleTestKit.health;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * {@code /foxglove} inside one JVM, under the paranoid leak detector: a Java ring writer, the real
 * MainVerticle, a Vert.x WebSocket client speaking the Foxglove protocol. Every access unit arrives
 * byte for byte in a CompressedVideo behind this client's subscription id, gapless, starting at a
 * keyframe; an unsubscribe stops it; every per-client head and frame slice is released (the class
 * fails on a leak). And the access rules of {@code /stream/ws} hold on {@code /foxglove}: tokens,
 * the streams and subjects they grant, per-address slots (shared with SDR viewers), token expiry,
 * the size and rate limits on client messages.
 */
class WebSocketVerticleFoxgloveTest extends DeployedServerTest {
    private static final int SIZE = 3000;

    @Test
    void shouldDeliverEveryAccessUnitByteForByteBehindTheClientsSubscriptionId(final Vertx vertx) throws Exception {
        final Path ring = dir.resolve("frames");
        try (PacedFeeder feeder = feeder(RingWriter.createV2(ring, 256, 16 * 1024), SIZE, 10, 10_000_000L).start()) {
            final int port = freePort();
            deploy(vertx, conf(ring, port));
            feeder.awaitWritten(25);
            final List<JsonObject> texts = new CopyOnWriteArrayList<>();
            final ConcurrentLinkedQueue<byte[]> binaries = new ConcurrentLinkedQueue<>();
            final WebSocket socket = connect(client(vertx), port, texts, binaries);
            assertEquals("foxglove.sdk.v1", socket.subProtocol());
            eventually("serverInfo and the video channel", () -> texts.size() >= 2);
            assertEquals("serverInfo", texts.get(0).getString("op"));
            final JsonObject channel = texts.get(1).getJsonArray("channels").getJsonObject(0);
            assertEquals("main", channel.getString("topic"));
            assertEquals(CompressedVideo.descriptorSetBase64(), channel.getString("schema"));

            final long writtenAtSubscribe = feeder.written();
            await(socket.writeTextMessage(new JsonObject().put("op", "subscribe").put("subscriptions", new io.vertx.core.json.JsonArray()
                .add(new JsonObject().put("id", 42).put("channelId", channel.getInteger("id")))).encode()));
            eventually("100 video messages", () -> binaries.size() >= 100);
            await(socket.writeTextMessage("{\"op\":\"unsubscribe\",\"subscriptionIds\":[42]}"));
            Thread.sleep(300);
            final int atUnsubscribe = binaries.size();
            Thread.sleep(300);
            assertEquals(atUnsubscribe, binaries.size(), "no video after the unsubscribe");

            int previousStart = -1;
            long previousNs = 0;
            boolean first = true;
            for (final byte[] message : binaries) {
                final ByteBuffer header = ByteBuffer.wrap(message).order(ByteOrder.LITTLE_ENDIAN);
                assertEquals(1, header.get());
                assertEquals(42, header.getInt());
                final long timestampNs = header.getLong();
                assertTrue(timestampNs > previousNs, "timestamps increase");
                previousNs = timestampNs;
                final DynamicMessage video = DynamicMessage.parseFrom(CompressedVideo.descriptor(),
                    ByteString.copyFrom(message, 13, message.length - 13));
                assertEquals("main", video.getField(CompressedVideo.descriptor().findFieldByName("frame_id")));
                assertEquals("h264", video.getField(CompressedVideo.descriptor().findFieldByName("format")));
                final byte[] data = ((ByteString) video.getField(CompressedVideo.descriptor().findFieldByName("data"))).toByteArray();
                assertEquals(SIZE, data.length);
                final int start = data[0] & 0xff;
                for (int i = 0; i < SIZE; i++) {
                    assertEquals((byte) (start + i), data[i], "the ring's bytes at " + i);
                }
                if (first) {
                    final long seq = frameSeqNear(start, writtenAtSubscribe);
                    assertEquals(1, seq % 10, "the first message is a keyframe (every 10th frame_seq from 1): frame_seq=" + seq);
                } else {
                    assertEquals((previousStart + 31) & 0xff, start, "gapless: the next frame_seq");
                }
                first = false;
                previousStart = start;
            }
            socket.close();
        }
    }

    @Test
    void shouldApplyTokensGrantsAndLimitsOfTheViewerEndpoint(final Vertx vertx) throws Exception {
        final Path ring = dir.resolve("frames");
        final Path aux = dir.resolve("aux");
        Files.createFile(aux);
        try (PacedFeeder feeder = feeder(RingWriter.createV2(ring, 256, 16 * 1024), 1000, 10, 10_000_000L).start()) {
            final int port = freePort();
            final JsonObject conf = authConf(ring, port);
            conf.getJsonObject("streams").put("aux", new JsonObject().put("path", aux.toString()));
            conf.getJsonObject("websocket").put("maxClientsPerAddress", 2)
                .put("clientMessagesPerSecond", 20).put("clientMessageBurst", 40);
            deploy(vertx, conf);
            feeder.awaitWritten(25);
            final WebSocketClient client = client(vertx);

            final UpgradeRejectedException anonymous = refused(client, ws(port, "/foxglove").addSubProtocol("foxglove.sdk.v1"));
            assertEquals(401, anonymous.getStatus(), body(anonymous));
            final String nothing = token(vertx, new JsonObject());
            assertEquals(403, refused(client, ws(port, "/foxglove?token=" + nothing).addSubProtocol("foxglove.sdk.v1")).getStatus(),
                "a token granting no stream");

            final String robot1 = token(vertx, grants(List.of("main"), List.of("telemetry.robot1.>"), false));
            final FoxViewer fox = FoxViewer.connect(client, ws(port, "/foxglove?token=" + robot1).addSubProtocol("foxglove.websocket.v1"));
            assertEquals("foxglove.websocket.v1", fox.socket.subProtocol());
            eventually("serverInfo and the video channels", () -> fox.texts.size() >= 2);
            final JsonArray videoChannels = fox.texts.get(1).getJsonArray("channels");
            assertEquals(1, videoChannels.size(), "only the granted stream: " + videoChannels.encode());
            assertEquals("main", videoChannels.getJsonObject(0).getString("topic"));

            // Subjects the token does not grant are never advertised; a granted one is, and arrives.
            eventually("telemetry.robot1.pose advertised", () -> {
                publish(vertx, "telemetry.robot2.pose", "{\"x\":2}");
                publish(vertx, "telemetry.robot1.pose", "{\"x\":1}");
                return fox.channel("telemetry.robot1.pose") != null;
            });
            fox.subscribe(7, fox.channel("telemetry.robot1.pose").getInteger("id"));
            fox.subscribe(8, videoChannels.getJsonObject(0).getInteger("id"));
            eventually("robot1 telemetry and video on their subscriptions", () -> {
                publish(vertx, "telemetry.robot1.pose", "{\"x\":1}");
                return fox.payloads(7).contains("{\"x\":1}") && fox.payloads(8).size() >= 10;
            });
            assertEquals(null, fox.channel("telemetry.robot2.pose"), "robot2 is not granted");

            // The per-address limit counts SDR viewers and Foxglove clients alike.
            final WebSocketVerticleTestKit.Viewer sdr = WebSocketVerticleTestKit.Viewer.connect(client,
                ws(port, "/stream/ws?token=" + robot1), "sdr");
            final UpgradeRejectedException third = refused(client, ws(port, "/foxglove")
                .addHeader("Authorization", "Bearer " + robot1).addSubProtocol("foxglove.sdk.v1"));
            assertEquals(429, third.getStatus(), body(third));
            assertTrue(body(third).contains("maxClientsPerAddress=2"), body(third));
            sdr.socket.close();
            sdr.awaitClosed();
            fox.socket.close();
            eventually("both slots free", () -> health(port).getJsonObject("streams").getJsonObject("main").getInteger("clients") == 0);

            // A Foxglove connection is closed when its token expires, like any viewer (4401).
            final String shortLived = mint(vertx, "HS256", SECRET, grants(List.of("main"), List.of(), false),
                System.currentTimeMillis() / 1000 + 2);
            final FoxViewer expiring = FoxViewer.connect(client, ws(port, "/foxglove")
                .addHeader("Authorization", "Bearer " + shortLived).addSubProtocol("foxglove.sdk.v1"));
            eventually("closed at the token's expiry", () -> expiring.closed);
            assertEquals(Short.valueOf((short) 4401), expiring.closeCode, "the token-expired close code");

            // The size and rate limits on client messages: 1009 and 1008, as on /stream/ws.
            final FoxViewer big = FoxViewer.connect(client, ws(port, "/foxglove?token=" + robot1).addSubProtocol("foxglove.sdk.v1"));
            big.socket.writeTextMessage("{\"op\":\"subscribe\",\"subscriptions\":[],\"pad\":\"" + "x".repeat(70_000) + "\"}");
            eventually("closed for a message over maxClientMessageBytes", () -> big.closed);
            assertEquals(Short.valueOf((short) 1009), big.closeCode);
            final FoxViewer flooder = FoxViewer.connect(client, ws(port, "/foxglove?token=" + robot1).addSubProtocol("foxglove.sdk.v1"));
            for (int i = 0; i < 200; i++) {
                flooder.socket.writeTextMessage("{\"op\":\"unsubscribe\",\"subscriptionIds\":[]}");
            }
            eventually("closed for exceeding the message rate", () -> flooder.closed);
            assertEquals(Short.valueOf((short) 1008), flooder.closeCode);
        }
    }

    @Test
    void shouldUnadvertiseTheLeastRecentlyActiveSubjectWhenANewOneNeedsItsChannel(final Vertx vertx) throws Exception {
        final Path ring = dir.resolve("frames");
        Files.createFile(ring);
        final int port = freePort();
        deploy(vertx, conf(ring, port));
        final FoxViewer fox = FoxViewer.connect(client(vertx), ws(port, "/foxglove").addSubProtocol("foxglove.sdk.v1"));
        eventually("the subscribed subject advertised", () -> {
            publish(vertx, "t.keep", "{\"v\":1}");
            return fox.topics.containsKey("t.keep");
        });
        fox.subscribe(1, fox.topics.get("t.keep"));
        // The video channel, t.keep and these fill the connection's channels exactly. Published a
        // batch at a time (a burst beyond the group's pending bound is dropped), so the first
        // batch is the least recently active.
        final int fill = FoxgloveClient.MAX_CHANNELS - 2;
        final int batch = 256;
        for (int from = 0; from < fill; from += batch) {
            final int to = Math.min(fill, from + batch);
            final int first = from;
            eventually("subjects t." + from + " to t." + (to - 1) + " advertised", () -> {
                boolean all = true;
                for (int i = first; i < to; i++) {
                    if (!fox.topics.containsKey("t." + i)) {
                        publish(vertx, "t." + i, "{\"i\":" + i + "}");
                        all = false;
                    }
                }
                return all;
            });
        }
        assertEquals(List.of(), fox.unadvertised, "nothing unadvertised below the bound");
        final java.util.Map<Integer, String> firstBatch = new java.util.HashMap<>();
        for (int i = 0; i < batch; i++) {
            firstBatch.put(fox.topics.get("t." + i), "t." + i);
        }
        final int keep = fox.topics.get("t.keep");

        eventually("t.new advertised", () -> {
            publish(vertx, "t.new", "{\"new\":true}");
            return fox.topics.containsKey("t.new");
        });
        assertEquals(1, fox.unadvertised.size(), "one channel gave way: " + fox.unadvertised);
        final int removed = fox.unadvertised.get(0);
        assertTrue(firstBatch.containsKey(removed), "a subject of the least recently active batch gave way, not channel " + removed);
        final String gone = firstBatch.get(removed);
        assertEquals(null, fox.topics.get(gone));
        // The order on the wire: the unadvertise before the advertise that took the place.
        final List<String> ops = fox.texts.stream().map(t -> t.getString("op")).toList();
        assertEquals(List.of("unadvertise", "advertise"), ops.subList(ops.size() - 2, ops.size()));

        // The subscribed subject kept its channel and its messages.
        eventually("t.keep still delivered", () -> {
            publish(vertx, "t.keep", "{\"v\":2}");
            return fox.payloads(1).contains("{\"v\":2}");
        });
        assertEquals(keep, fox.topics.get("t.keep").intValue());
        // A subscribe to the unadvertised channel is an error, not a crash; the subject that left comes back with a new channel.
        fox.subscribe(2, removed);
        eventually("a status error for the unadvertised channel", () -> fox.texts.stream().anyMatch(t -> "status".equals(t.getString("op"))
            && t.getString("message").contains("unknown channel: channelId=" + removed)));
        eventually(gone + " advertised again", () -> {
            publish(vertx, gone, "{\"back\":true}");
            return fox.topics.containsKey(gone);
        });
        assertTrue(fox.topics.get(gone) > removed, "a new channel id");
        assertEquals(2, fox.unadvertised.size());
        fox.socket.close();
    }

    private static void publish(final Vertx vertx, final String subject, final String json) {
        vertx.eventBus().publish(Addresses.TELEMETRY, Telemetry.encode(subject, json.getBytes(StandardCharsets.UTF_8), System.nanoTime()));
    }

    /** A Foxglove client: its text messages and, per subscription id, the MessageData payloads. */
    private static final class FoxViewer {
        final List<JsonObject> texts = new CopyOnWriteArrayList<>();
        final List<byte[]> binaries = new CopyOnWriteArrayList<>();
        /** The channels advertised and not unadvertised since: topic to channel id. */
        final java.util.Map<String, Integer> topics = new java.util.concurrent.ConcurrentHashMap<>();
        final List<Integer> unadvertised = new CopyOnWriteArrayList<>();
        WebSocket socket;
        volatile Short closeCode;
        volatile boolean closed;

        static FoxViewer connect(final WebSocketClient client, final WebSocketConnectOptions options) {
            final FoxViewer viewer = new FoxViewer();
            viewer.socket = await(client.webSocket().textMessageHandler(viewer::onText)
                .binaryMessageHandler(buffer -> viewer.binaries.add(buffer.getBytes()))
                .closeHandler(v -> {
                    try {
                        viewer.closeCode = viewer.socket.closeStatusCode();
                    } catch (final NullPointerException noCloseFrame) {
                        // Vert.x 5.0.10 unboxes a null status when no close frame arrived.
                    }
                    viewer.closed = true;
                })
                .connect(options));
            return viewer;
        }

        private void onText(final String text) {
            final JsonObject json = new JsonObject(text);
            if ("advertise".equals(json.getString("op"))) {
                json.getJsonArray("channels").forEach(c -> topics.put(((JsonObject) c).getString("topic"), ((JsonObject) c).getInteger("id")));
            } else if ("unadvertise".equals(json.getString("op"))) {
                for (final Object id : json.getJsonArray("channelIds")) {
                    unadvertised.add((Integer) id);
                    topics.values().remove(id);
                }
            }
            texts.add(json);
        }

        /** The advertised channel of {@code topic}, or null. */
        JsonObject channel(final String topic) {
            for (final JsonObject text : texts) {
                if ("advertise".equals(text.getString("op"))) {
                    for (final Object channel : text.getJsonArray("channels")) {
                        if (topic.equals(((JsonObject) channel).getString("topic"))) {
                            return (JsonObject) channel;
                        }
                    }
                }
            }
            return null;
        }

        void subscribe(final int id, final int channelId) {
            await(socket.writeTextMessage(new JsonObject().put("op", "subscribe").put("subscriptions", new JsonArray()
                .add(new JsonObject().put("id", id).put("channelId", channelId))).encode()));
        }

        /** The payloads of the MessageData behind {@code subscriptionId}, as UTF-8 text. */
        List<String> payloads(final int subscriptionId) {
            final List<String> out = new java.util.ArrayList<>();
            for (final byte[] message : binaries) {
                final ByteBuffer header = ByteBuffer.wrap(message).order(ByteOrder.LITTLE_ENDIAN);
                if (header.get() == 1 && header.getInt() == subscriptionId) {
                    out.add(new String(message, 13, message.length - 13, StandardCharsets.UTF_8));
                }
            }
            return out;
        }
    }

    /**
     * The frame_seq whose pattern starts with {@code start} ({@code frameSeq * 31 mod 256}; 31 is odd,
     * so it is one residue mod 256) among those the subscribe can have been answered with: the
     * cached keyframe (at most a GOP before {@code written}) up to a second of frames after it.
     */
    private static long frameSeqNear(final int start, final long written) {
        for (long seq = Math.max(1, written - 20); seq < written + 200; seq++) {
            if (((seq * 31) & 0xff) == start) {
                return seq;
            }
        }
        throw new AssertionError("no frame_seq near " + written + " starts with " + start);
    }

    private static WebSocket connect(final WebSocketClient client, final int port, final List<JsonObject> texts,
                                     final ConcurrentLinkedQueue<byte[]> binaries) {
        for (int attempt = 0; ; attempt++) {
            try {
                final WebSocket socket = await(client.webSocket().textMessageHandler(text -> texts.add(new JsonObject(text)))
                    .binaryMessageHandler(buffer -> binaries.add(buffer.getBytes()))
                    .connect(new WebSocketConnectOptions().setHost("127.0.0.1").setPort(port).setURI("/foxglove")
                        .addSubProtocol("foxglove.sdk.v1")));
                return socket;
            } catch (final RuntimeException e) {
                if (attempt > 5 || !isHandshakeRace(e)) {
                    throw e;
                }
                texts.clear();
                binaries.clear();
            }
        }
    }
}
