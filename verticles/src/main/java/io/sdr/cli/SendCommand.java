package io.sdr.cli;

import io.vertx.core.json.Json;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;
import picocli.CommandLine.Spec;

import java.io.PrintWriter;
import java.util.concurrent.Callable;

/** {@code bus send ADDRESS JSON}: point-to-point request; prints the reply. */
@Command(name = "send", sortOptions = false,
    description = {"Sends JSON to one handler of ADDRESS and prints its reply (request/reply, waits up to --timeout). "
        + "With --no-reply, only checks that the bridge accepted it."})
final class SendCommand implements Callable<Integer> {
    @Spec
    private CommandSpec spec;

    @Mixin
    private Connection connection;

    @Mixin
    private HelpOption help;

    @Parameters(index = "0", paramLabel = "ADDRESS", description = "e.g. inspect.stats")
    private String address;

    @Parameters(index = "1", paramLabel = "JSON", arity = "0..1", defaultValue = "{}",
        description = "the message body (default {})")
    private String body;

    @Option(names = "--no-reply", description = "do not wait for a reply")
    private boolean noReply;

    @Override
    public Integer call() {
        final Object value = BusCommand.parseJson(spec, "JSON", body);
        Replies.refuseLocalObjects(address, "send to");
        final PrintWriter out = spec.commandLine().getOut();
        try (BridgeClient client = connection.connect()) {
            if (noReply) {
                client.send(address, value, connection.timeoutMs);
                out.println("sent to " + address);
            } else {
                final Object reply = client.request(address, value, connection.timeoutMs);
                out.println(reply instanceof JsonObject ? ((JsonObject) reply).encodePrettily()
                    : reply instanceof JsonArray ? ((JsonArray) reply).encodePrettily() : Json.encode(reply));
            }
        }
        out.flush();
        return 0;
    }
}
