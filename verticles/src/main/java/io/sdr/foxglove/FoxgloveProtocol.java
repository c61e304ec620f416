package io.sdr.foxglove;

import io.netty.buffer.ByteBuf;
import io.vertx.core.json.DecodeException;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;

import java.util.ArrayList;
import java.util.List;

/**
 * The Foxglove WebSocket protocol as far as this server speaks it: the server's JSON messages,
 * the binary MessageData header and the parsing of what a client sends. Field names follow the
 * ws-protocol spec and the Foxglove SDK's Rust server ({@code rust/foxglove/src/protocol}).
 * Pure functions, no I/O.
 *
 * <p>MessageData, the one binary message the server sends (integers little-endian):
 * <pre>
 *   0      1                  5                        13
 *   +------+------------------+------------------------+--------------------------+
 *   | 0x01 | subscription id  | timestamp ns since the | payload (the channel's   |
 *   |      | u32              | Unix epoch, u64        | encoding)                |
 *   +------+------------------+------------------------+--------------------------+
 * </pre>
 */
public final class FoxgloveProtocol {
    /** The Foxglove SDK and foxglove_bridge 3.x. */
    public static final String SUBPROTOCOL_SDK = "foxglove.sdk.v1";
    /** Lichtblick and older Foxglove clients. */
    public static final String SUBPROTOCOL_WEBSOCKET = "foxglove.websocket.v1";
    public static final List<String> SUBPROTOCOLS = List.of(SUBPROTOCOL_SDK, SUBPROTOCOL_WEBSOCKET);

    public static final byte OP_MESSAGE_DATA = 0x01;
    public static final int MESSAGE_DATA_HEADER_BYTES = 13;

    public static final int STATUS_INFO = 0;
    public static final int STATUS_WARNING = 1;
    public static final int STATUS_ERROR = 2;

    /** Bounds on one client request, so a hostile one costs little. */
    public static final int MAX_SUBSCRIPTIONS_PER_REQUEST = 1024;

    private FoxgloveProtocol() {
    }

    /** One advertised channel. {@code schemaEncoding} may be null (then it is left out). */
    public record Channel(int id, String topic, String encoding, String schemaName, String schema, String schemaEncoding) {
        JsonObject toJson() {
            final JsonObject json = new JsonObject().put("id", id).put("topic", topic).put("encoding", encoding)
                .put("schemaName", schemaName);
            if (schemaEncoding != null) {
                json.put("schemaEncoding", schemaEncoding);
            }
            return json.put("schema", schema);
        }
    }

    /** A subscription a client asked for: its id (the client's) and the channel. */
    public record Subscription(long id, long channelId) {
    }

    public static String serverInfo(final String name, final String sessionId) {
        return new JsonObject().put("op", "serverInfo").put("name", name).put("capabilities", new JsonArray())
            .put("sessionId", sessionId).encode();
    }

    public static String advertise(final List<Channel> channels) {
        final JsonArray array = new JsonArray();
        channels.forEach(channel -> array.add(channel.toJson()));
        return new JsonObject().put("op", "advertise").put("channels", array).encode();
    }

    public static String unadvertise(final List<Integer> channelIds) {
        return new JsonObject().put("op", "unadvertise").put("channelIds", new JsonArray(new ArrayList<>(channelIds))).encode();
    }

    /** @param id null for a status with no id (it is never replaced nor removed) */
    public static String status(final int level, final String message, final String id) {
        final JsonObject json = new JsonObject().put("op", "status").put("level", level).put("message", message);
        if (id != null) {
            json.put("id", id);
        }
        return json.encode();
    }

    public static String removeStatus(final List<String> statusIds) {
        return new JsonObject().put("op", "removeStatus").put("statusIds", new JsonArray(new ArrayList<>(statusIds))).encode();
    }

    /** Writes the 13-byte MessageData header at the writer index. */
    public static void writeMessageDataHeader(final ByteBuf out, final int subscriptionId, final long timestampNs) {
        out.writeByte(OP_MESSAGE_DATA);
        out.writeIntLE(subscriptionId);
        out.writeLongLE(timestampNs);
    }

    /** A client's text message, parsed. */
    public record ClientMessage(Kind kind, String op, List<Subscription> subscriptions, List<Long> subscriptionIds, String error) {
        public enum Kind { SUBSCRIBE, UNSUBSCRIBE, UNSUPPORTED, INVALID }

        static ClientMessage invalid(final String error) {
            return new ClientMessage(Kind.INVALID, null, List.of(), List.of(), error);
        }
    }

    /**
     * Parses one text message from a client. Never throws: what this server does not do is
     * {@code UNSUPPORTED} (a well-formed message with another {@code op}), what is malformed is
     * {@code INVALID}, each with the error to send back in a status.
     */
    public static ClientMessage parse(final String text) {
        final JsonObject json;
        try {
            final Object value = io.vertx.core.json.Json.decodeValue(text);
            if (!(value instanceof JsonObject)) {
                return ClientMessage.invalid("not a JSON object");
            }
            json = (JsonObject) value;
        } catch (final DecodeException e) {
            return ClientMessage.invalid("not JSON");
        }
        final Object op = json.getValue("op");
        if (!(op instanceof String)) {
            return ClientMessage.invalid("no \"op\" string");
        }
        switch ((String) op) {
            case "subscribe":
                return subscribe(json);
            case "unsubscribe":
                return unsubscribe(json);
            default:
                return new ClientMessage(ClientMessage.Kind.UNSUPPORTED, (String) op, List.of(), List.of(),
                    "unsupported operation: op=" + truncate((String) op) + " (this server supports subscribe and unsubscribe)");
        }
    }

    private static ClientMessage subscribe(final JsonObject json) {
        final Object value = json.getValue("subscriptions");
        if (!(value instanceof JsonArray)) {
            return ClientMessage.invalid("subscribe: \"subscriptions\" must be an array");
        }
        final JsonArray array = (JsonArray) value;
        if (array.size() > MAX_SUBSCRIPTIONS_PER_REQUEST) {
            return ClientMessage.invalid("subscribe: too many subscriptions: count=" + array.size() + ", max=" + MAX_SUBSCRIPTIONS_PER_REQUEST);
        }
        final List<Subscription> subscriptions = new ArrayList<>(array.size());
        for (final Object item : array) {
            if (!(item instanceof JsonObject)) {
                return ClientMessage.invalid("subscribe: each subscription must be an object with id and channelId");
            }
            final long id = uint32(((JsonObject) item).getValue("id"));
            final long channelId = uint32(((JsonObject) item).getValue("channelId"));
            if (id < 0 || channelId < 0) {
                return ClientMessage.invalid("subscribe: id and channelId must be integers from 0 to 4294967295");
            }
            subscriptions.add(new Subscription(id, channelId));
        }
        return new ClientMessage(ClientMessage.Kind.SUBSCRIBE, "subscribe", List.copyOf(subscriptions), List.of(), null);
    }

    private static ClientMessage unsubscribe(final JsonObject json) {
        final Object value = json.getValue("subscriptionIds");
        if (!(value instanceof JsonArray)) {
            return ClientMessage.invalid("unsubscribe: \"subscriptionIds\" must be an array");
        }
        final JsonArray array = (JsonArray) value;
        if (array.size() > MAX_SUBSCRIPTIONS_PER_REQUEST) {
            return ClientMessage.invalid("unsubscribe: too many ids: count=" + array.size() + ", max=" + MAX_SUBSCRIPTIONS_PER_REQUEST);
        }
        final List<Long> ids = new ArrayList<>(array.size());
        for (final Object item : array) {
            final long id = uint32(item);
            if (id < 0) {
                return ClientMessage.invalid("unsubscribe: subscription ids must be integers from 0 to 4294967295");
            }
            ids.add(id);
        }
        return new ClientMessage(ClientMessage.Kind.UNSUBSCRIBE, "unsubscribe", List.of(), List.copyOf(ids), null);
    }

    /** The value as a u32, or -1 when it is not an integral number in range. */
    private static long uint32(final Object value) {
        if (!(value instanceof Number)) {
            return -1;
        }
        final Number number = (Number) value;
        final double asDouble = number.doubleValue();
        if (asDouble != Math.rint(asDouble) || asDouble < 0 || asDouble > 0xFFFF_FFFFL) {
            return -1;
        }
        return number.longValue();
    }

    private static String truncate(final String value) {
        return value.length() <= 64 ? value : value.substring(0, 64) + "...";
    }
}
