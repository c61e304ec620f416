package io.sdr.cli;

import io.sdr.cli.bus.BusCommand;

import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;

import java.io.IOException;
import java.io.InputStream;
import java.io.PrintWriter;
import java.net.URI;
import java.net.URLEncoder;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.Paths;
import java.nio.file.StandardCopyOption;
import java.time.Duration;
import java.util.concurrent.Callable;

/**
 * {@code java -jar sdr-transport.jar clip --stream main --seconds 30 -o clip.mcap}: asks a running
 * server for the last seconds of a stream ({@code GET /record/clip}) and saves the MCAP file. Exit
 * status 0 saved, 1 the server is unreachable or refuses (its reason on stderr), 2 usage error.
 */
@Command(name = "clip", sortOptions = false,
    description = {"Saves the last seconds of a stream and its telemetry, as an MCAP file, from a running server "
        + "(GET /record/clip; served to websocket.admin.allow, or to a token granting \"record\")."},
    footer = {"", "Examples:",
        "  clip --stream main --seconds 30 -o clip.mcap",
        "  clip --url https://sdr.example.com/viewer --token \"$TOKEN\" -o last.mcap"})
public final class ClipCommand implements Callable<Integer> {
    @Spec
    private CommandSpec spec;

    @CommandLine.Mixin
    private HelpOption help;

    @Option(names = "--url", paramLabel = "URL",
        description = "the server (default: http://127.0.0.1:PORT with SDR_LISTEN_ADDR's port, else 8080)")
    String url;

    @Option(names = "--stream", paramLabel = "NAME", description = "the stream (default: the server's first)")
    String stream;

    @Option(names = "--seconds", paramLabel = "S", defaultValue = "30", description = "how far back (default: ${DEFAULT-VALUE})")
    double seconds;

    @Option(names = {"-o", "--output"}, paramLabel = "FILE", required = true, description = "where to save the MCAP file")
    Path output;

    @Option(names = "--compression", paramLabel = "zstd|lz4|none", description = "chunk compression (default: the server's)")
    String compression;

    @Option(names = "--token", paramLabel = "JWT", description = "a token granting \"record\" (default: SDR_TOKEN)")
    String token;

    @Option(names = "--timeout", paramLabel = "MS", defaultValue = "120000", description = "give up after this long (default: ${DEFAULT-VALUE})")
    long timeoutMs;

    public static int run(final String... args) {
        final CommandLine cli = new CommandLine(new ClipCommand());
        cli.setExecutionExceptionHandler((error, commandLine, parseResult) -> {
            final PrintWriter err = commandLine.getErr();
            err.println("clip: " + (error instanceof CliException ? error.getMessage() : "unexpected error: " + error));
            err.flush();
            return BusCommand.EXIT_FAILURE;
        });
        cli.setParameterExceptionHandler((error, args2) -> {
            final PrintWriter err = error.getCommandLine().getErr();
            err.println("clip: " + error.getMessage());
            err.println("Try 'clip --help'.");
            err.flush();
            return BusCommand.EXIT_USAGE;
        });
        return cli.execute(args);
    }

    @Override
    public Integer call() throws InterruptedException {
        if (!(seconds > 0)) {
            throw new CommandLine.ParameterException(spec.commandLine(), "--seconds=" + seconds + ": must be above 0");
        }
        final String base = (url != null ? url : defaultUrl()).replaceAll("/+$", "");
        final StringBuilder query = new StringBuilder("seconds=").append(seconds);
        if (stream != null) {
            query.append("&stream=").append(URLEncoder.encode(stream, StandardCharsets.UTF_8));
        }
        if (compression != null) {
            query.append("&compression=").append(URLEncoder.encode(compression, StandardCharsets.UTF_8));
        }
        final URI uri;
        try {
            uri = URI.create(base + "/record/clip?" + query);
        } catch (final IllegalArgumentException e) {
            throw new CommandLine.ParameterException(spec.commandLine(), "--url=" + base + ": " + e.getMessage());
        }
        final HttpRequest.Builder request = HttpRequest.newBuilder(uri).timeout(Duration.ofMillis(timeoutMs));
        final String bearer = token != null ? token : System.getenv("SDR_TOKEN");
        if (bearer != null && !bearer.isBlank()) {
            request.header("Authorization", "Bearer " + bearer.trim());
        }
        final HttpClient client = HttpClient.newBuilder().version(HttpClient.Version.HTTP_1_1)
            .connectTimeout(Duration.ofMillis(Math.min(timeoutMs, 10_000))).build();
        final Path absolute = output.toAbsolutePath();
        final Path partial = absolute.resolveSibling(absolute.getFileName() + ".part");
        try {
            final HttpResponse<InputStream> response = client.send(request.build(), HttpResponse.BodyHandlers.ofInputStream());
            try (InputStream body = response.body()) {
                if (response.statusCode() != 200) {
                    final String reason = new String(body.readNBytes(4096), StandardCharsets.UTF_8).trim();
                    throw new CliException("GET " + uri.getPath() + " answered " + response.statusCode() + ": " + reason);
                }
                Files.copy(body, partial, StandardCopyOption.REPLACE_EXISTING);
            }
            Files.move(partial, absolute, StandardCopyOption.REPLACE_EXISTING, StandardCopyOption.ATOMIC_MOVE);
            final PrintWriter out = spec.commandLine().getOut();
            out.println("saved " + absolute + " (" + Files.size(absolute) + " bytes, "
                + response.headers().firstValue("X-Sdr-Clip-Frames").orElse("?") + " frames over "
                + response.headers().firstValue("X-Sdr-Clip-Span-Ms").orElse("?") + " ms, "
                + response.headers().firstValue("X-Sdr-Clip-Telemetry").orElse("?") + " telemetry messages)");
            out.flush();
            return 0;
        } catch (final IOException e) {
            try {
                Files.deleteIfExists(partial);
            } catch (final IOException ignored) {
                // best effort
            }
            throw new CliException("cannot get a clip from " + base + ": " + e);
        }
    }

    private static String defaultUrl() {
        final String listen = System.getenv("SDR_LISTEN_ADDR");
        final String port = listen != null && listen.lastIndexOf(':') >= 0 ? listen.substring(listen.lastIndexOf(':') + 1) : "8080";
        return "http://127.0.0.1:" + port;
    }
}
