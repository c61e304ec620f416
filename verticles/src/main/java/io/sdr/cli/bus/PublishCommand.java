package io.sdr.cli.bus;

import io.sdr.cli.CliException;

import io.vertx.core.json.JsonObject;
import picocli.CommandLine.Command;

import java.io.PrintWriter;

/** {@code bus publish ADDRESS JSON}: delivers JSON to every handler of the address. */
@Command(name = "publish", sortOptions = false,
    description = {"Publishes JSON to every handler of ADDRESS, e.g. a keyframe request: "
        + "bus publish keyframe.wanted.main '{\"reason\":\"cli\"}'. Fails when nothing handles ADDRESS."})
final class PublishCommand extends MessageCommand {
    PublishCommand() {
        super("publish to");
    }

    @Override
    void deliver(final BridgeClient client, final Object value, final PrintWriter out) {
        // A publish to an address nobody handles vanishes silently: check first.
        final JsonObject row = Replies.lookup(client, address, connection.timeoutMs);
        if (row == null || (row.containsKey("handlers") && row.getLong("handlers", 0L) == 0)) {
            throw new CliException("unknown address: no handler for " + address
                + " on the server (`bus list` shows the addresses in use)");
        }
        client.publish(address, value, connection.timeoutMs);
        final Object handlers = row.getValue("handlers");
        out.println("published to " + address + (handlers == null ? "" : " (" + handlers + " handler"
            + (row.getLong("handlers") == 1 ? "" : "s") + ")"));
    }
}
