package io.sdr.cli.bus;

import org.junit.jupiter.api.Test;
import picocli.CommandLine;

import java.io.IOException;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.util.List;

import static org.junit.jupiter.api.Assertions.*;

/** The {@code bus} command line without a server: help, usage errors and an unreachable bridge. */
class BusCommandTest {
    record Run(int exit, String out, String err) {
    }

    static Run run(final String... args) {
        final CommandLine cli = BusCommand.commandLine();
        final StringWriter out = new StringWriter();
        final StringWriter err = new StringWriter();
        cli.setOut(new PrintWriter(out, true));
        cli.setErr(new PrintWriter(err, true));
        final int exit = cli.execute(args);
        return new Run(exit, out.toString(), err.toString());
    }

    @Test
    void shouldPrintHelpForEveryCommand() {
        final Run top = run("--help");
        assertEquals(0, top.exit());
        assertTrue(top.out().startsWith("Usage: bus "), top.out());
        for (final String command : List.of("list", "tail", "send", "publish", "stats")) {
            final Run help = run(command, "--help");
            assertEquals(0, help.exit(), command);
            assertTrue(help.out().startsWith("Usage: bus " + command), help.out());
            assertTrue(help.out().contains("--port=PORT"), command + " has --port: " + help.out());
            assertTrue(help.out().contains("--host=HOST"), command + " has --host: " + help.out());
            assertTrue(top.out().contains("  " + command + " "), "bus --help lists " + command);
        }
    }

    @Test
    void shouldRejectAnUnknownCommandWithASuggestionAndExit2() {
        final Run run = run("lst");
        assertEquals(BusCommand.EXIT_USAGE, run.exit());
        assertTrue(run.err().startsWith("bus: Unmatched argument at index 0: 'lst'"), run.err());
        assertTrue(run.err().contains("Did you mean: bus list"), run.err());
        assertFalse(run.err().contains("\tat "), "no stack trace");
        final Run none = run();
        assertEquals(BusCommand.EXIT_USAGE, none.exit());
        assertTrue(none.err().startsWith("bus: missing command: list, tail, send, publish or stats"), none.err());
    }

    @Test
    void shouldRejectBadArgumentsBeforeConnecting() {
        final Run json = run("publish", "keyframe.wanted.main", "{reason:");
        assertEquals(BusCommand.EXIT_USAGE, json.exit());
        assertTrue(json.err().startsWith("bus: JSON=\"{reason:\": not valid JSON"), json.err());
        final Run count = run("tail", "frames.main", "--count", "0");
        assertEquals(BusCommand.EXIT_USAGE, count.exit());
        assertTrue(count.err().startsWith("bus: --count=0: must be at least 1"), count.err());
        final Run payload = run("tail", "keyframe.request.main", "--payload");
        assertEquals(BusCommand.EXIT_USAGE, payload.exit());
        final Run frames = run("send", "frames.main", "{}");
        assertEquals(BusCommand.EXIT_FAILURE, frames.exit());
        assertTrue(frames.err().startsWith("bus: cannot send to frames.main: it carries Java objects"), frames.err());
    }

    @Test
    void shouldExplainARefusedConnectionInOneLine() throws IOException {
        final int port;
        try (ServerSocket socket = new ServerSocket(0, 1, InetAddress.getLoopbackAddress())) {
            port = socket.getLocalPort();
        }
        for (final String command : List.of("list", "stats")) {
            final Run run = run(command, "--port", String.valueOf(port));
            assertEquals(BusCommand.EXIT_FAILURE, run.exit(), command);
            assertEquals("bus: cannot connect to the event-bus bridge at 127.0.0.1:" + port + ": connection refused "
                + "(is the server running with bridge.enabled, and on this port? --host/--port or SDR_BRIDGE_ADDR)\n", run.err());
            assertEquals("", run.out());
        }
    }
}
