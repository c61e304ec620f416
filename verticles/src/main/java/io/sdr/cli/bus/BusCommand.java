package io.sdr.cli.bus;

import io.sdr.cli.HelpOption;
import io.sdr.cli.CliException;

import io.vertx.core.json.DecodeException;
import io.vertx.core.json.Json;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Spec;

import java.io.PrintWriter;
import java.util.concurrent.Callable;

/**
 * {@code java -jar sdr-transport.jar bus COMMAND}: inspect a running server's event bus through its
 * TCP event-bus bridge ({@code bridge} in conf.json). Exit status 0 on success, 1 when the server
 * cannot be reached or refuses (one line on stderr, never a stack trace), 2 for a usage error,
 * 130 when {@code tail} is stopped with Ctrl-C.
 */
@Command(name = "bus", sortOptions = false,
    description = {"Inspects a running SDR transport server's event bus through its TCP event-bus bridge "
        + "(conf.json \"bridge\", default 127.0.0.1:7000)."},
    subcommands = {ListCommand.class, TailCommand.class, SendCommand.class, PublishCommand.class, StatsCommand.class},
    footer = {"", "Examples:",
        "  bus list",
        "  bus tail frames.main --count 5",
        "  bus publish keyframe.wanted.main '{\"reason\":\"cli\"}'",
        "  bus stats --json"})
public final class BusCommand implements Callable<Integer> {
    public static final int EXIT_FAILURE = 1;
    public static final int EXIT_USAGE = 2;

    @Spec
    private CommandSpec spec;

    @picocli.CommandLine.Mixin
    private HelpOption help;

    public static int run(final String... args) {
        return commandLine().execute(args);
    }

    static CommandLine commandLine() {
        final CommandLine cli = new CommandLine(new BusCommand());
        cli.setExecutionExceptionHandler((error, commandLine, parseResult) -> {
            final PrintWriter err = commandLine.getErr();
            if (error instanceof CliException) {
                err.println("bus: " + error.getMessage());
            } else {
                err.println("bus: unexpected error: " + error);
            }
            err.flush();
            return EXIT_FAILURE;
        });
        cli.setParameterExceptionHandler((error, args) -> {
            final CommandLine where = error.getCommandLine();
            final PrintWriter err = where.getErr();
            err.println("bus: " + error.getMessage());
            CommandLine.UnmatchedArgumentException.printSuggestions(error, err);
            err.println("Try '" + where.getCommandSpec().qualifiedName() + " --help'.");
            err.flush();
            return EXIT_USAGE;
        });
        return cli;
    }

    @Override
    public Integer call() {
        throw new CommandLine.ParameterException(spec.commandLine(), "missing command: list, tail, send, publish or stats");
    }

    /** Parses a JSON value given on the command line (object, array, string, number, true/false/null). */
    static Object parseJson(final CommandSpec spec, final String what, final String text) {
        try {
            return Json.decodeValue(text);
        } catch (final DecodeException e) {
            throw new CommandLine.ParameterException(spec.commandLine(), what + "=\"" + text + "\": not valid JSON "
                + "(quote it for the shell, e.g. '{\"reason\":\"cli\"}')");
        }
    }
}
