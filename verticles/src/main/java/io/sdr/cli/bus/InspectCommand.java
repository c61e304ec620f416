package io.sdr.cli.bus;

import io.sdr.cli.HelpOption;

import io.vertx.core.json.JsonObject;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;

import java.io.PrintWriter;
import java.util.concurrent.Callable;

/**
 * A command that asks one {@code inspect.*} address a question over the bridge and prints the
 * answer as a table, or as the server's JSON with {@code --json}.
 */
abstract class InspectCommand implements Callable<Integer> {
    @Spec
    private CommandSpec spec;

    @Mixin
    private Connection connection;

    @Mixin
    private HelpOption help;

    @Option(names = "--json", description = "print the server's JSON answer")
    private boolean json;

    private final String address;

    InspectCommand(final String address) {
        this.address = address;
    }

    @Override
    public final Integer call() {
        final JsonObject reply;
        try (BridgeClient client = connection.connect()) {
            reply = Replies.object(client.request(address, new JsonObject(), connection.timeoutMs), address);
        }
        final PrintWriter out = spec.commandLine().getOut();
        if (json) {
            out.println(reply.encode());
        } else {
            print(out, reply);
        }
        out.flush();
        return 0;
    }

    /** Prints the answer for a human. */
    abstract void print(PrintWriter out, JsonObject reply);
}
