package io.sdr.cli;

import io.sdr.bus.SubjectPattern;
import io.sdr.security.AuthConfig;
import io.sdr.security.Grants;
import io.vertx.core.Vertx;
import io.vertx.core.json.JsonObject;
import io.vertx.ext.auth.JWTOptions;
import io.vertx.ext.auth.PubSecKeyOptions;
import io.vertx.ext.auth.jwt.JWTAuth;
import io.vertx.ext.auth.jwt.JWTAuthOptions;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;

import java.io.IOException;
import java.io.PrintWriter;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.security.KeyPair;
import java.security.KeyPairGenerator;
import java.security.SecureRandom;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Base64;
import java.util.List;
import java.util.Locale;
import java.util.concurrent.Callable;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * {@code java -jar sdr-transport.jar token ...}: mints a viewer token (a JWT the server checks
 * when {@code websocket.auth} is enabled), or makes the key material: a new HS256 secret or an
 * RS256 key pair. The token goes to stdout alone (for {@code $(...)}), a summary to stderr.
 * Exit status 0 on success, 1 when a key cannot be read, 2 for a usage error.
 */
@Command(name = "token", sortOptions = false, mixinStandardHelpOptions = false,
    description = {"Mints a viewer token for an SDR transport server with websocket.auth enabled, "
        + "or makes a new secret / RSA key pair."},
    footer = {"", "Examples:",
        "  token --new-secret > secrets/jwt-secret",
        "  token --secret-file secrets/jwt-secret --stream main --subject 'telemetry.robot1.>' --ttl 8h",
        "  token --secret-file secrets/jwt-secret --stream '*' --no-keyframe --sub wall-display --ttl 30d",
        "  token --new-rsa-key keys/sdr        (keys/sdr.key: private, for minting; keys/sdr.pub: for the server)",
        "  token --private-key keys/sdr.key --stream main",
        "", "Without --secret-file / --private-key, the file named by SDR_AUTH_SECRET_FILE is used."})
public final class TokenCommand implements Callable<Integer> {
    static final int EXIT_FAILURE = 1;
    static final int EXIT_USAGE = 2;

    @Spec
    private CommandSpec spec;

    @Option(names = {"-h", "--help"}, usageHelp = true, description = "show this help and exit")
    boolean help;

    @Option(names = "--new-secret", description = "print a new random HS256 secret (256 bits, base64url) and exit")
    boolean newSecret;

    @Option(names = "--new-rsa-key", paramLabel = "PREFIX",
        description = "write a new RSA-2048 key pair to PREFIX.key (PKCS#8, private) and PREFIX.pub (for publicKeyFile) and exit")
    Path newRsaKey;

    @Option(names = "--secret-file", paramLabel = "FILE", description = "HS256: the server's secret file")
    Path secretFile;

    @Option(names = "--private-key", paramLabel = "FILE", description = "RS256: the PEM private key (\"BEGIN PRIVATE KEY\")")
    Path privateKey;

    @Option(names = "--stream", paramLabel = "NAME", description = "a stream the token may watch; repeat for more; '*' for all (default: *)")
    List<String> streams = new ArrayList<>();

    @Option(names = "--subject", paramLabel = "PATTERN",
        description = "telemetry subjects (NATS wildcards) the token may receive; repeat for more; '>' for all (default: >)")
    List<String> subjects = new ArrayList<>();

    @Option(names = "--no-telemetry", description = "grant no telemetry subject at all")
    boolean noTelemetry;

    @Option(names = "--keyframe", negatable = true, defaultValue = "true", fallbackValue = "true",
        description = "whether the viewer may cause keyframe requests (default: yes; --no-keyframe for a passive display)")
    boolean keyframe;

    @Option(names = "--record", description = "whether the holder may take MCAP clips of its streams (GET /record/clip; default: no)")
    boolean record;

    @Option(names = "--ttl", paramLabel = "DURATION", defaultValue = "12h",
        description = "lifetime: e.g. 90s, 30m, 12h, 7d (default: ${DEFAULT-VALUE}; at most 366d)")
    String ttl;

    @Option(names = {"--sub", "--subject-name"}, paramLabel = "NAME", description = "who the token is for (the JWT \"sub\")")
    String sub;

    @Option(names = "--issuer", paramLabel = "ISS", description = "the JWT \"iss\" (when the server checks websocket.auth.issuer)")
    String issuer;

    @Option(names = "--audience", paramLabel = "AUD", description = "the JWT \"aud\" (when the server checks websocket.auth.audience)")
    List<String> audience = new ArrayList<>();

    public static int run(final String... args) {
        final CommandLine cli = new CommandLine(new TokenCommand());
        cli.setExecutionExceptionHandler((error, commandLine, parseResult) -> {
            final PrintWriter err = commandLine.getErr();
            err.println("token: " + (error instanceof IllegalStateException ? error.getMessage() : "unexpected error: " + error));
            err.flush();
            return EXIT_FAILURE;
        });
        cli.setParameterExceptionHandler((error, args2) -> {
            final PrintWriter err = error.getCommandLine().getErr();
            err.println("token: " + error.getMessage());
            err.println("Try 'token --help'.");
            err.flush();
            return EXIT_USAGE;
        });
        return cli.execute(args);
    }

    @Override
    public Integer call() throws Exception {
        final PrintWriter out = spec.commandLine().getOut();
        final PrintWriter err = spec.commandLine().getErr();
        if (newSecret) {
            final byte[] bytes = new byte[32];
            new SecureRandom().nextBytes(bytes);
            out.println(Base64.getUrlEncoder().withoutPadding().encodeToString(bytes));
            out.flush();
            return 0;
        }
        if (newRsaKey != null) {
            writeKeyPair(newRsaKey, err);
            return 0;
        }
        if (secretFile != null && privateKey != null) {
            throw usage("--secret-file (HS256) and --private-key (RS256) exclude each other");
        }
        final Path secret = secretFile != null || privateKey != null ? secretFile : envSecretFile();
        if (secret == null && privateKey == null) {
            throw usage("a key is needed: --secret-file FILE (HS256) or --private-key FILE (RS256), or SDR_AUTH_SECRET_FILE");
        }
        final long ttlSeconds = parseTtl(ttl);
        for (final String subject : subjects) {
            if (SubjectPattern.parse(subject) == null) {
                throw usage("--subject=\"" + subject + "\": not a NATS subject pattern (e.g. telemetry.robot1.>)");
            }
        }
        final List<String> grantedStreams = streams.isEmpty() ? List.of("*") : streams;
        final List<String> grantedSubjects = noTelemetry ? List.of() : subjects.isEmpty() ? List.of(">") : subjects;
        final String algorithm = secret != null ? "HS256" : "RS256";
        final PubSecKeyOptions key = new PubSecKeyOptions().setAlgorithm(algorithm)
            .setBuffer(secret != null ? readSecret(secret) : readPrivateKey(privateKey));
        final JWTOptions options = new JWTOptions().setAlgorithm(algorithm).setExpiresInSeconds((int) ttlSeconds);
        if (sub != null) {
            options.setSubject(sub);
        }
        if (issuer != null) {
            options.setIssuer(issuer);
        }
        if (!audience.isEmpty()) {
            options.setAudience(audience);
        }
        final JsonObject claims = new JsonObject().put(Grants.CLAIM, Grants.claim(grantedStreams, grantedSubjects, keyframe, record));
        final Vertx vertx = Vertx.vertx();
        try {
            final String token = JWTAuth.create(vertx, new JWTAuthOptions().addPubSecKey(key)).generateToken(claims, options);
            out.println(token);
            out.flush();
        } finally {
            vertx.close();
        }
        err.println("token: " + algorithm + ", sub=" + (sub == null ? "-" : sub) + ", streams=" + grantedStreams
            + ", subjects=" + grantedSubjects + ", keyframe=" + keyframe + ", record=" + record + ", expires "
            + Instant.now().plusSeconds(ttlSeconds).truncatedTo(java.time.temporal.ChronoUnit.SECONDS));
        err.flush();
        return 0;
    }

    private CommandLine.ParameterException usage(final String message) {
        return new CommandLine.ParameterException(spec.commandLine(), message);
    }

    private static Path envSecretFile() {
        final String value = System.getenv("SDR_AUTH_SECRET_FILE");
        return value == null || value.isBlank() ? null : Path.of(value);
    }

    private long parseTtl(final String text) {
        final Matcher m = Pattern.compile("(\\d{1,9})([smhd]?)").matcher(text.trim().toLowerCase(Locale.ROOT));
        if (!m.matches()) {
            throw usage("--ttl=\"" + text + "\": expected a number with s, m, h or d (e.g. 30m, 12h, 7d)");
        }
        final long n = Long.parseLong(m.group(1));
        final long seconds;
        switch (m.group(2)) {
            case "m": seconds = n * 60; break;
            case "h": seconds = n * 3600; break;
            case "d": seconds = n * 86_400; break;
            default: seconds = n; break;
        }
        if (seconds < 1 || seconds > Duration.ofDays(366).toSeconds()) {
            throw usage("--ttl=\"" + text + "\": must be between 1s and 366d");
        }
        return seconds;
    }

    private static String readSecret(final Path file) {
        final String secret = read(file).trim();
        final int bytes = secret.getBytes(StandardCharsets.UTF_8).length;
        if (bytes < AuthConfig.MIN_SECRET_BYTES) {
            throw new IllegalStateException("secret file " + file + ": " + bytes + " bytes, at least "
                + AuthConfig.MIN_SECRET_BYTES + " are required (token --new-secret makes one)");
        }
        return secret;
    }

    private static String readPrivateKey(final Path file) {
        final String pem = read(file);
        if (pem.contains("BEGIN RSA PRIVATE KEY")) {
            throw new IllegalStateException("private key " + file + ": PKCS#1 (\"BEGIN RSA PRIVATE KEY\"); convert it with "
                + "openssl pkcs8 -topk8 -nocrypt -in " + file + " -out " + file + ".pk8");
        }
        if (!pem.contains("BEGIN PRIVATE KEY")) {
            throw new IllegalStateException("private key " + file + ": not a PEM \"BEGIN PRIVATE KEY\" (PKCS#8) file");
        }
        return pem;
    }

    private static String read(final Path file) {
        try {
            return Files.readString(file, StandardCharsets.UTF_8);
        } catch (final IOException e) {
            throw new IllegalStateException("cannot read " + file + ": " + e);
        }
    }

    private static void writeKeyPair(final Path prefix, final PrintWriter err) throws Exception {
        final KeyPairGenerator generator = KeyPairGenerator.getInstance("RSA");
        generator.initialize(2048);
        final KeyPair pair = generator.generateKeyPair();
        final Path privatePath = Path.of(prefix + ".key");
        final Path publicPath = Path.of(prefix + ".pub");
        if (Files.exists(privatePath) || Files.exists(publicPath)) {
            throw new IllegalStateException(privatePath + " or " + publicPath + " exists; not overwriting a key");
        }
        Files.writeString(privatePath, pem("PRIVATE KEY", pair.getPrivate().getEncoded()));
        try {
            Files.setPosixFilePermissions(privatePath, PosixFilePermissions.fromString("rw-------"));
        } catch (final UnsupportedOperationException ignored) {
            // not a POSIX file system: left as created
        }
        Files.writeString(publicPath, pem("PUBLIC KEY", pair.getPublic().getEncoded()));
        err.println("token: wrote " + privatePath + " (private: keep it with whoever mints tokens) and " + publicPath
            + " (websocket.auth.publicKeyFile, algorithm RS256)");
        err.flush();
    }

    static String pem(final String type, final byte[] der) {
        return "-----BEGIN " + type + "-----\n" + Base64.getMimeEncoder(64, new byte[] {'\n'}).encodeToString(der)
            + "\n-----END " + type + "-----\n";
    }
}
