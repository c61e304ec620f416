package io.sdr.cli.bus;

import io.sdr.cli.HelpOption;
import io.sdr.cli.CliException;

import io.sdr.bus.Addresses;
import io.vertx.core.json.Json;
import io.vertx.core.json.JsonObject;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;
import picocli.CommandLine.Spec;

import java.io.IOException;
import java.io.PrintWriter;
import java.time.LocalTime;
import java.time.format.DateTimeFormatter;
import java.util.Base64;
import java.util.concurrent.Callable;
import java.util.concurrent.atomic.AtomicLong;

/**
 * {@code bus tail ADDRESS}: prints the messages of an address as they arrive. {@code frames.S} and
 * {@code telemetry} carry Java objects, so their summaries on {@code inspect.frames.S} /
 * {@code inspect.telemetry} are tailed instead (the server publishes those only while someone
 * listens; video payloads only with {@code --payload}, capped by the server).
 */
@Command(name = "tail", sortOptions = false,
    description = {"Prints the messages of ADDRESS as they arrive, until Ctrl-C or --count. "
        + "frames.<stream>: one summary line per frame (stream, frame_seq, size, keyframe, codec, age); "
        + "telemetry: subject, size and the text when printable."})
final class TailCommand implements Callable<Integer> {
    private static final DateTimeFormatter TIME = DateTimeFormatter.ofPattern("HH:mm:ss.SSS");

    @Spec
    private CommandSpec spec;

    @Mixin
    private Connection connection;

    @Mixin
    private HelpOption help;

    @Parameters(index = "0", paramLabel = "ADDRESS", description = "e.g. frames.main, telemetry, keyframe.request.main")
    private String address;

    @Option(names = "--json", description = "one JSON message body per line")
    private boolean json;

    @Option(names = "--count", paramLabel = "N", description = "stop after N messages")
    private Integer count;

    @Option(names = "--payload", description = "also the first payload bytes of frames/telemetry (base64; capped by bridge.payloadMaxBytes)")
    private boolean payload;

    private volatile boolean stopping;

    @Override
    public Integer call() throws IOException {
        if (count != null && count < 1) {
            throw new CommandLine.ParameterException(spec.commandLine(), "--count=" + count + ": must be at least 1");
        }
        final String inspected = Addresses.inspectionOf(address, payload);
        if (payload && inspected == null && !Addresses.isPayloadInspection(address)) {
            throw new CommandLine.ParameterException(spec.commandLine(), "--payload: only for frames.<stream> and telemetry");
        }
        final String target = inspected != null ? inspected : address;
        final PrintWriter out = spec.commandLine().getOut();
        final PrintWriter err = spec.commandLine().getErr();
        final BridgeClient client = connection.connect();
        final AtomicLong received = new AtomicLong();
        final Thread hook = new Thread(() -> {
            stopping = true;
            try {
                client.unregister(target);
            } catch (final CliException ignored) {
                // the connection is gone anyway
            }
            client.close();
            err.println("bus: stopped after " + received.get() + (received.get() == 1 ? " message" : " messages"));
            err.flush();
        }, "bus-tail-stop");
        try {
            final JsonObject row = Replies.lookup(client, target, connection.timeoutMs);
            if (row == null) {
                throw Replies.unknown(target);
            }
            client.register(target, connection.timeoutMs);
            Runtime.getRuntime().addShutdownHook(hook);
            err.println("bus: tailing " + target + (inspected != null ? " (summaries of " + address + ")" : "")
                + " on " + client.target() + (count != null ? ", " + count + (count == 1 ? " message" : " messages") : "") + "; Ctrl-C stops");
            err.flush();
            while (count == null || received.get() < count) {
                final JsonObject frame;
                try {
                    frame = client.read(0);
                } catch (final IOException | CliException e) {
                    if (stopping) {
                        return 130;
                    }
                    throw e instanceof CliException ? (CliException) e
                        : new CliException("lost the connection to " + client.target() + ": " + e.getMessage());
                }
                if (!"message".equals(frame.getString("type")) || !target.equals(frame.getString("address"))) {
                    continue;
                }
                received.incrementAndGet();
                out.println(json ? Json.encode(frame.getValue("body")) : line(target, frame.getValue("body")));
                out.flush();
                if (out.checkError()) {
                    break; // stdout closed (e.g. piped into head)
                }
            }
            Runtime.getRuntime().removeShutdownHook(hook);
            client.unregister(target);
            return 0;
        } finally {
            if (!stopping) {
                client.close();
            }
        }
    }

    /** One human-readable line per message. */
    static String line(final String address, final Object body) {
        final String time = LocalTime.now().format(TIME) + " ";
        if (!(body instanceof JsonObject)) {
            return time + address + " " + Json.encode(body);
        }
        final JsonObject m = (JsonObject) body;
        final String source = Addresses.inspectedBy(address);
        if (source != null && !source.equals(Addresses.TELEMETRY)) {
            return time + "stream=" + m.getString("stream") + " frame_seq=" + m.getValue("frame_seq") + " size=" + m.getValue("size")
                + " keyframe=" + m.getValue("keyframe") + " codec=" + m.getString("codec") + " age_ms=" + m.getValue("age_ms")
                + payload(m);
        }
        if (source != null) {
            final String text = m.getString("text");
            return time + "subject=" + m.getString("subject") + " size=" + m.getValue("size")
                + (text == null ? " (not text)" : " text=" + (text.matches("[^\\n\\r\\t]*") ? text : Json.encode(text)))
                + (m.getBoolean("text_truncated", false) ? "..." : "") + payload(m);
        }
        return time + address + " " + m.encode();
    }

    private static String payload(final JsonObject m) {
        final String base64 = m.getString("payload_base64");
        if (base64 == null) {
            return "";
        }
        final byte[] bytes = Base64.getDecoder().decode(base64);
        final StringBuilder hex = new StringBuilder();
        for (int i = 0; i < Math.min(16, bytes.length); i++) {
            hex.append(String.format("%02x", bytes[i] & 0xFF));
        }
        return " payload=" + hex + (bytes.length > 16 ? "..." : "") + " (" + bytes.length + " bytes shipped"
            + (m.getBoolean("payload_truncated", false) ? ", truncated" : "") + ")";
    }
}
