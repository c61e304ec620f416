package io.sdr.cli;

import io.vertx.core.json.JsonObject;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Parameters;
import picocli.CommandLine.Spec;

import java.io.PrintWriter;
import java.util.concurrent.Callable;

/** {@code bus publish ADDRESS JSON}: delivers JSON to every handler of the address. */
@Command(name = "publish", sortOptions = false,
    description = {"Publishes JSON to every handler of ADDRESS, e.g. a keyframe request: "
        + "bus publish keyframe.wanted.main '{\"reason\":\"cli\"}'. Fails when nothing handles ADDRESS."})
final class PublishCommand implements Callable<Integer> {
    @Spec
    private CommandSpec spec;

    @Mixin
    private Connection connection;

    @Mixin
    private HelpOption help;

    @Parameters(index = "0", paramLabel = "ADDRESS", description = "e.g. keyframe.wanted.main")
    private String address;

    @Parameters(index = "1", paramLabel = "JSON", arity = "0..1", defaultValue = "{}",
        description = "the message body (default {})")
    private String body;

    @Override
    public Integer call() {
        final Object value = BusCommand.parseJson(spec, "JSON", body);
        Replies.refuseLocalObjects(address, "publish to");
        final PrintWriter out = spec.commandLine().getOut();
        try (BridgeClient client = connection.connect()) {
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
        out.flush();
        return 0;
    }
}
