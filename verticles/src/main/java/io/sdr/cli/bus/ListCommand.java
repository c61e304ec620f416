package io.sdr.cli.bus;

import io.sdr.bus.Addresses;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import picocli.CommandLine.Command;

import java.io.PrintWriter;

/** {@code bus list}: the event-bus addresses in use, with handler counts and message rates. */
@Command(name = "list", sortOptions = false,
    description = {"Lists the event-bus addresses in use on the server: handlers, messages per second "
        + "(last few seconds), messages since start, and what the bridge permits (in: send/publish, out: tail)."})
final class ListCommand extends InspectCommand {
    ListCommand() {
        super(Addresses.INSPECT_LIST);
    }

    @Override
    void print(final PrintWriter out, final JsonObject reply) {
        final JsonArray rows = reply.getJsonArray("addresses", new JsonArray());
        int width = "ADDRESS".length();
        for (int i = 0; i < rows.size(); i++) {
            width = Math.max(width, rows.getJsonObject(i).getString("address", "").length());
        }
        final String format = "%-" + width + "s  %8s  %8s  %10s  %-10s  %s%n";
        out.printf(format, "ADDRESS", "HANDLERS", "MSG/S", "MESSAGES", "BRIDGE", "NOTE");
        for (int i = 0; i < rows.size(); i++) {
            final JsonObject row = rows.getJsonObject(i);
            out.printf(format, row.getString("address"), row.getValue("handlers"), String.format("%.1f", row.getDouble("rate", 0.0)),
                row.getValue("messages"), row.getString("bridge", ""), row.getString("note", ""));
        }
        out.printf("(rates over the last %.1f s; BRIDGE: in = send/publish permitted, out = tail permitted, "
            + "local-only = Java objects, tail their inspect.* address)%n", reply.getDouble("window_s", 0.0));
        if (!reply.getBoolean("metered", true)) {
            out.println("note: the server's event-bus meters carry no addresses (not started by the jar's launcher?): "
                + "only the inspection addresses are listed");
        }
    }
}
