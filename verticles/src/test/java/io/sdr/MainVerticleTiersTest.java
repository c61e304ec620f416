package io.sdr;

import io.sdr.config.ConfigException;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import org.junit.jupiter.api.Test;

import java.util.ArrayList;
import java.util.List;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

/**
 * The encoder's quality tiers become streams of their own in the plan: a poller on each tier's ring
 * (next to the stream's ring unless {@code streams} says otherwise), the tiers listed after their
 * stream in the fan-out's streams (largest first), and viewers told each tier's label, size and
 * bitrate.
 */
class MainVerticleTiersTest {
    private static JsonObject conf(final JsonObject streams) {
        return new JsonObject().put("streams", streams)
            .put("encoder", new JsonObject().put("stream", "main").put("bitrateKbps", 2500).put("tiers", new JsonArray()
                .add(new JsonObject().put("name", "360p").put("width", 640).put("height", 360).put("bitrateKbps", 600))
                .add(new JsonObject().put("name", "180p").put("width", 320).put("height", 180).put("bitrateKbps", 150))));
    }

    private static List<String> pollers(final MainVerticle.Plan plan) {
        final List<String> list = new ArrayList<>();
        for (final JsonObject poller : plan.pollers) {
            list.add(poller.getString("stream") + " " + poller.getString("path") + " crc=" + poller.getValue("crc"));
        }
        return list;
    }

    @Test
    void shouldPollEachTiersRingAndListTheTiersAfterTheirStream() {
        final MainVerticle.Plan plan = MainVerticle.plan(conf(new JsonObject()
            .put("main", new JsonObject().put("path", "/dev/shm/t/frames").put("crc", false))
            .put("cam2", new JsonObject().put("path", "/dev/shm/t/cam2"))));
        assertEquals(List.of("main /dev/shm/t/frames crc=false", "cam2 /dev/shm/t/cam2 crc=null",
            "main~360p /dev/shm/t/frames~360p crc=false", "main~180p /dev/shm/t/frames~180p crc=false"), pollers(plan));
        assertEquals(List.of("main", "main~360p", "main~180p", "cam2"), plan.websocketConfig.streams());
        assertEquals(List.of("main", "cam2"), plan.websocketConfig.baseStreams());
        assertEquals(new JsonObject()
                .put("main", new JsonObject().put("label", "720p").put("width", 1280).put("height", 720).put("bitrateKbps", 2500))
                .put("main~360p", new JsonObject().put("label", "360p").put("width", 640).put("height", 360).put("bitrateKbps", 600))
                .put("main~180p", new JsonObject().put("label", "180p").put("width", 320).put("height", 180).put("bitrateKbps", 150)),
            plan.websocketConfig.tiers());
        final JsonArray tiers = plan.encoder.getJsonArray("tiers");
        assertEquals(2, tiers.size());
        // The other sections know the tiers as streams too (the bridge inspects them, an edge may carry them).
        final JsonObject withBridge = conf(new JsonObject().put("main", new JsonObject()));
        withBridge.put("bridge", new JsonObject().put("listen", "127.0.0.1:7000"));
        assertEquals(new JsonArray().add("main").add("main~360p").add("main~180p"),
            MainVerticle.plan(withBridge).bridge.getJsonArray("streams"));
    }

    @Test
    void shouldTakeATiersRingFromItsStreamEntryAndKeepWhatViewersAreToldWhereGiven() {
        final JsonObject conf = conf(new JsonObject()
            .put("main", new JsonObject().put("path", "/dev/shm/t/frames"))
            .put("main~180p", new JsonObject().put("path", "/dev/shm/elsewhere/small")));
        conf.put("websocket", new JsonObject().put("streams", new JsonArray().add("main"))
            .put("tiers", new JsonObject().put("main~360p", new JsonObject().put("label", "SD"))));
        final MainVerticle.Plan plan = MainVerticle.plan(conf);
        assertEquals(List.of("main /dev/shm/t/frames crc=null", "main~180p /dev/shm/elsewhere/small crc=null",
            "main~360p /dev/shm/t/frames~360p crc=null"), pollers(plan));
        assertEquals("/dev/shm/elsewhere/small", plan.encoder.getJsonArray("tiers").getJsonObject(1).getString("path"));
        // websocket.streams named the stream: its tiers come with it.
        assertEquals(List.of("main", "main~360p", "main~180p"), plan.websocketConfig.streams());
        assertEquals("SD", plan.websocketConfig.tiers().getJsonObject("main~360p").getString("label"));
        assertEquals(640, plan.websocketConfig.tiers().getJsonObject("main~360p").getInteger("width"));
    }

    @Test
    void shouldRefuseATierPathInTheEncoderSection() {
        final JsonObject conf = conf(new JsonObject().put("main", new JsonObject()));
        conf.getJsonObject("encoder").getJsonArray("tiers").getJsonObject(0).put("path", "/dev/shm/x");
        assertEquals("encoder.tiers[0].path: the encoder writes each tier's ring; set streams.main~360p.path instead",
            assertThrows(ConfigException.class, () -> MainVerticle.plan(conf)).getMessage());
    }

    @Test
    void shouldAddNoTierWhenTheEncoderIsOff() {
        final JsonObject conf = conf(new JsonObject().put("main", new JsonObject().put("path", "/dev/shm/t/frames")));
        conf.getJsonObject("encoder").put("enabled", false);
        final MainVerticle.Plan plan = MainVerticle.plan(conf);
        assertEquals(List.of("main /dev/shm/t/frames crc=null"), pollers(plan));
        assertEquals(List.of("main"), plan.websocketConfig.streams());
    }

    @Test
    void shouldServeTiersAnOutsideEncoderWritesWhenTheyAreConfiguredAsStreams() {
        final MainVerticle.Plan plan = MainVerticle.plan(new JsonObject().put("streams", new JsonObject()
            .put("main", new JsonObject().put("path", "/dev/shm/t/frames"))
            .put("main~low", new JsonObject().put("path", "/dev/shm/t/low"))));
        assertEquals(List.of("main /dev/shm/t/frames crc=null", "main~low /dev/shm/t/low crc=null"), pollers(plan));
        assertEquals(List.of("main", "main~low"), plan.websocketConfig.tiersOf("main"));
    }
}
