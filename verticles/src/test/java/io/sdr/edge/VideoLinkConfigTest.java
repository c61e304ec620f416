package io.sdr.edge;

import io.sdr.config.ConfigException;
import io.vertx.core.json.JsonObject;
import org.junit.jupiter.api.Test;

import java.util.List;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

class VideoLinkConfigTest {

    @Test
    void shouldDefaultToAnOriginPublishingOnSdrVideo() {
        final VideoLinkConfig c = VideoLinkConfig.from(new JsonObject());
        assertEquals(VideoLinkConfig.Role.ORIGIN, c.role());
        assertEquals("sdr.video.main", c.framesSubject("main"));
        assertEquals("sdr.edge.keyframe.main", c.keyframeSubject("main"));
        assertEquals("sdr.edge.keyframe.*", c.keyframeSubjects());
        assertEquals("sdr.edge.announce", c.announceSubject());
        assertEquals(30, c.queueFrames());
        assertEquals(List.of("main"), c.streams());
    }

    @Test
    void shouldRefuseWhatCannotWorkNamingKeyAndValue() {
        assertMessage(new JsonObject().put("role", "relay"), "video.role", "\"relay\"", "origin, edge, off");
        assertMessage(new JsonObject().put("subjectPrefix", "sdr.*"), "video.subjectPrefix", "without wildcards");
        assertMessage(new JsonObject().put("controlPrefix", "sdr.video.ctl"), "video.controlPrefix", "must not overlap");
        assertMessage(new JsonObject().put("queueFrames", 0), "video.queueFrames");
        assertMessage(new JsonObject().put("pendingBytes", 10), "video.pendingBytes");
        assertMessage(new JsonObject().put("queueFrame", 5), "video.queueFrame", "unknown setting");
        assertMessage(new JsonObject().put("role", "edge").put("streams", List.of("cam.front")), "streams.cam.front", "one NATS subject token");
        assertMessage(new JsonObject().put("streams", List.of("cam 1")), "streams.cam 1");
    }

    @Test
    void shouldLeaveStreamNamesAloneWhenTheLinkIsOff() {
        final VideoLinkConfig c = VideoLinkConfig.from(new JsonObject().put("role", "off").put("streams", List.of("cam.front")));
        assertEquals(VideoLinkConfig.Role.OFF, c.role());
    }

    private static void assertMessage(final JsonObject json, final String... parts) {
        final ConfigException e = assertThrows(ConfigException.class, () -> VideoLinkConfig.from(json), json.encode());
        for (final String part : parts) {
            assertTrue(e.getMessage().contains(part), "'" + part + "' in: " + e.getMessage());
        }
    }
}
