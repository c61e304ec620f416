package io.sdr.cli.bus;

import io.sdr.cli.HelpOption;

import picocli.CommandLine.Mixin;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Parameters;
import picocli.CommandLine.Spec;

import java.io.PrintWriter;
import java.util.concurrent.Callable;

/** A command that puts one JSON message on an event-bus address through the bridge. */
abstract class MessageCommand implements Callable<Integer> {
    @Spec
    CommandSpec spec;

    @Mixin
    Connection connection;

    @Mixin
    private HelpOption help;

    @Parameters(index = "0", paramLabel = "ADDRESS", description = "the event-bus address")
    String address;

    @Parameters(index = "1", paramLabel = "JSON", arity = "0..1", defaultValue = "{}",
        description = "the message body (default {})")
    private String body;

    private final String verb;

    /** @param verb how the refusal of a local-only address reads, e.g. "send to" */
    MessageCommand(final String verb) {
        this.verb = verb;
    }

    @Override
    public final Integer call() {
        final Object value = BusCommand.parseJson(spec, "JSON", body);
        Replies.refuseLocalObjects(address, verb);
        final PrintWriter out = spec.commandLine().getOut();
        try (BridgeClient client = connection.connect()) {
            deliver(client, value, out);
        }
        out.flush();
        return 0;
    }

    /** Puts {@code value} on {@link #address} and says what happened. */
    abstract void deliver(BridgeClient client, Object value, PrintWriter out);
}
