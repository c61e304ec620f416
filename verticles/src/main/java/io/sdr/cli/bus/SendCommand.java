package io.sdr.cli.bus;

import io.vertx.core.json.Json;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

import java.io.PrintWriter;

/** {@code bus send ADDRESS JSON}: point-to-point request; prints the reply. */
@Command(name = "send", sortOptions = false,
    description = {"Sends JSON to one handler of ADDRESS (e.g. inspect.stats) and prints its reply (request/reply, "
        + "waits up to --timeout). With --no-reply, only checks that the bridge accepted it."})
final class SendCommand extends MessageCommand {
    @Option(names = "--no-reply", description = "do not wait for a reply")
    private boolean noReply;

    SendCommand() {
        super("send to");
    }

    @Override
    void deliver(final BridgeClient client, final Object value, final PrintWriter out) {
        if (noReply) {
            client.send(address, value, connection.timeoutMs);
            out.println("sent to " + address);
        } else {
            final Object reply = client.request(address, value, connection.timeoutMs);
            out.println(reply instanceof JsonObject ? ((JsonObject) reply).encodePrettily()
                : reply instanceof JsonArray ? ((JsonArray) reply).encodePrettily() : Json.encode(reply));
        }
    }
}
