package io.sdr.cli.bus;

import io.sdr.cli.CliException;

import io.sdr.bus.Addresses;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;

/** Reading the inspector's replies. */
final class Replies {
    private Replies() {
    }

    static JsonObject object(final Object body, final String address) {
        if (!(body instanceof JsonObject)) {
            throw new CliException("unexpected reply from " + address + ": " + body);
        }
        return (JsonObject) body;
    }

    /**
     * The server's {@code bus list} row of {@code address}, or null when the server does not know it.
     * An empty row means "cannot tell" (the bridge does not permit {@code inspect.list}, or the
     * server's event-bus meters carry no addresses): no pre-check.
     */
    static JsonObject lookup(final BridgeClient client, final String address, final int timeoutMs) {
        final JsonObject reply;
        try {
            reply = object(client.request(Addresses.INSPECT_LIST, new JsonObject().put("address", address), timeoutMs),
                Addresses.INSPECT_LIST);
        } catch (final CliException e) {
            if (e.getMessage().startsWith("not permitted")) {
                return new JsonObject();
            }
            throw e;
        }
        final JsonArray rows = reply.getJsonArray("addresses", new JsonArray());
        if (rows.isEmpty()) {
            // Without address-tagged event-bus meters the server knows only its inspection addresses.
            return reply.getBoolean("metered", true) ? null : new JsonObject();
        }
        return rows.getJsonObject(0);
    }

    static CliException unknown(final String address) {
        return new CliException("unknown address: " + address + " is not in use on the server (`bus list` shows the addresses)");
    }

    /** Refuses the addresses that carry Java objects: they have no JSON form. */
    static void refuseLocalObjects(final String address, final String operation) {
        if (Addresses.carriesLocalObjects(address)) {
            throw new CliException("cannot " + operation + " " + address + ": it carries Java objects (video frames, "
                + "telemetry) that do not cross the bridge; `bus tail " + address + "` shows their summaries");
        }
    }
}
