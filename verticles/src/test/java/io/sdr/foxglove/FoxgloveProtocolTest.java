package io.sdr.foxglove;

import io.netty.buffer.ByteBuf;
import io.netty.buffer.Unpooled;
import io.sdr.foxglove.FoxgloveProtocol.ClientMessage;
import io.sdr.foxglove.FoxgloveProtocol.ClientMessage.Kind;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

import java.util.List;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

class FoxgloveProtocolTest {
    @Test
    void shouldParseASubscribeWithItsIdsAndChannels() {
        final ClientMessage message = FoxgloveProtocol.parse(
            "{\"op\":\"subscribe\",\"subscriptions\":[{\"id\":0,\"channelId\":3},{\"id\":4294967295,\"channelId\":5}]}");
        assertEquals(Kind.SUBSCRIBE, message.kind());
        assertEquals(List.of(new FoxgloveProtocol.Subscription(0, 3), new FoxgloveProtocol.Subscription(4294967295L, 5)),
            message.subscriptions());
    }

    @Test
    void shouldParseAnUnsubscribe() {
        final ClientMessage message = FoxgloveProtocol.parse("{\"op\":\"unsubscribe\",\"subscriptionIds\":[0,1]}");
        assertEquals(Kind.UNSUBSCRIBE, message.kind());
        assertEquals(List.of(0L, 1L), message.subscriptionIds());
    }

    @ParameterizedTest
    @ValueSource(strings = {"advertise", "unadvertise", "getParameters", "setParameters", "subscribeParameterUpdates",
        "subscribeConnectionGraph", "fetchAsset", "serverInfo", "x"})
    void shouldRefuseEveryOtherOperationByName(final String op) {
        final ClientMessage message = FoxgloveProtocol.parse(new JsonObject().put("op", op).put("channels", new JsonArray()).encode());
        assertEquals(Kind.UNSUPPORTED, message.kind());
        assertTrue(message.error().contains("op=" + op), message.error());
    }

    @ParameterizedTest
    @ValueSource(strings = {"", "not json", "[]", "42", "null", "\"subscribe\"", "{}", "{\"op\":7}", "{\"op\":null}",
        "{\"op\":\"subscribe\"}", "{\"op\":\"subscribe\",\"subscriptions\":{}}", "{\"op\":\"subscribe\",\"subscriptions\":[1]}",
        "{\"op\":\"subscribe\",\"subscriptions\":[{\"id\":-1,\"channelId\":1}]}",
        "{\"op\":\"subscribe\",\"subscriptions\":[{\"id\":1.5,\"channelId\":1}]}",
        "{\"op\":\"subscribe\",\"subscriptions\":[{\"id\":4294967296,\"channelId\":1}]}",
        "{\"op\":\"subscribe\",\"subscriptions\":[{\"id\":\"1\",\"channelId\":1}]}",
        "{\"op\":\"subscribe\",\"subscriptions\":[{\"id\":1}]}",
        "{\"op\":\"unsubscribe\",\"subscriptionIds\":[\"a\"]}", "{\"op\":\"unsubscribe\",\"subscriptionIds\":1}",
        "{\"op\":\"subscribe\",\"subscriptions\":[{\"id\":1e400,\"channelId\":1}]}", "{\"op\":\"subscribe\"", "\u0000\u0001"})
    void shouldCallMalformedMessagesInvalidWithoutThrowing(final String text) {
        final ClientMessage message = FoxgloveProtocol.parse(text);
        assertEquals(Kind.INVALID, message.kind(), text);
        assertNotNull(message.error());
    }

    @Test
    void shouldBoundTheSubscriptionsOfOneRequest() {
        final JsonArray many = new JsonArray();
        for (int i = 0; i <= FoxgloveProtocol.MAX_SUBSCRIPTIONS_PER_REQUEST; i++) {
            many.add(new JsonObject().put("id", i).put("channelId", 1));
        }
        final ClientMessage message = FoxgloveProtocol.parse(new JsonObject().put("op", "subscribe").put("subscriptions", many).encode());
        assertEquals(Kind.INVALID, message.kind());
        assertTrue(message.error().contains("too many"), message.error());
    }

    @Test
    void shouldWriteServerMessagesWithTheSpecsFieldNames() {
        assertEquals(new JsonObject("{\"op\":\"serverInfo\",\"name\":\"n\",\"capabilities\":[],\"sessionId\":\"s\"}"),
            new JsonObject(FoxgloveProtocol.serverInfo("n", "s")));
        assertEquals(new JsonObject("{\"op\":\"advertise\",\"channels\":[{\"id\":1,\"topic\":\"main\",\"encoding\":\"protobuf\","
                + "\"schemaName\":\"foxglove.CompressedVideo\",\"schemaEncoding\":\"protobuf\",\"schema\":\"AA==\"},"
                + "{\"id\":2,\"topic\":\"t\",\"encoding\":\"json\",\"schemaName\":\"\",\"schema\":\"\"}]}"),
            new JsonObject(FoxgloveProtocol.advertise(List.of(
                new FoxgloveProtocol.Channel(1, "main", "protobuf", "foxglove.CompressedVideo", "AA==", "protobuf"),
                new FoxgloveProtocol.Channel(2, "t", "json", "", "", null)))));
        assertFalse(new JsonObject(FoxgloveProtocol.advertise(List.of(new FoxgloveProtocol.Channel(2, "t", "json", "", "", null))))
            .getJsonArray("channels").getJsonObject(0).containsKey("schemaEncoding"));
        assertEquals(new JsonObject("{\"op\":\"unadvertise\",\"channelIds\":[1,2]}"), new JsonObject(FoxgloveProtocol.unadvertise(List.of(1, 2))));
        assertEquals(new JsonObject("{\"op\":\"status\",\"level\":1,\"message\":\"m\",\"id\":\"i\"}"),
            new JsonObject(FoxgloveProtocol.status(FoxgloveProtocol.STATUS_WARNING, "m", "i")));
        assertEquals(new JsonObject("{\"op\":\"status\",\"level\":2,\"message\":\"m\"}"),
            new JsonObject(FoxgloveProtocol.status(FoxgloveProtocol.STATUS_ERROR, "m", null)));
        assertEquals(new JsonObject("{\"op\":\"removeStatus\",\"statusIds\":[\"i\"]}"), new JsonObject(FoxgloveProtocol.removeStatus(List.of("i"))));
    }

    @Test
    void shouldWriteTheMessageDataHeaderLittleEndian() {
        final ByteBuf out = Unpooled.buffer();
        FoxgloveProtocol.writeMessageDataHeader(out, 0x04030201, 0x0c0b0a0908070605L);
        final byte[] bytes = new byte[out.readableBytes()];
        out.readBytes(bytes);
        assertArrayEquals(new byte[] {1, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12}, bytes);
        assertEquals(FoxgloveProtocol.MESSAGE_DATA_HEADER_BYTES, bytes.length);
    }
}
