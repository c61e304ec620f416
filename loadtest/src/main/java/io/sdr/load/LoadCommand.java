package io.sdr.load;

import io.vertx.core.json.JsonObject;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

import java.io.IOException;
import java.net.InetAddress;
import java.net.URI;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.Callable;

/**
 * {@code java -jar loadtest/target/sdr-load.jar [options]}: drives the transport server with a ring
 * writer and N WebSocket clients on this host, then prints what they measured (docs/BENCHMARKS.md).
 * Bounded: at most {@value #MAX_CLIENTS} clients and {@value #MAX_DURATION_S} s of measurement;
 * loopback only; a watchdog ends the process if a run overstays. With {@code --peer node} one run
 * measures our server and the Node ws relay of {@code loadtest/peer} in alternating legs and
 * reports our / relay ratios ({@link PeerRun}).
 */
@Command(name = "sdr-load", mixinStandardHelpOptions = true, sortOptions = false,
    description = "Fan-out load tool: a v2 ring writer + N WebSocket clients against a self-started "
        + "(default) or running transport server on loopback. Prints a table, or JSON with --json.")
public final class LoadCommand implements Callable<Integer> {
    static final int MAX_CLIENTS = 5000;
    static final int MAX_DURATION_S = 600;

    @Option(names = "--clients", description = "WebSocket clients in total (default ${DEFAULT-VALUE}, max 5000)")
    int clients = 100;
    @Option(names = "--stalled", description = "of which stop reading when the window opens (default ${DEFAULT-VALUE})")
    int stalled;
    @Option(names = "--slow", description = "of which read at --slow-rate from the start (default ${DEFAULT-VALUE})")
    int slow;
    @Option(names = "--joiners", description = "extra healthy clients that connect one by one during the window (warm "
        + "server, flowing stream): their join time is the one a new viewer sees (default ${DEFAULT-VALUE})")
    int joiners;
    @Option(names = "--slow-rate", description = "bytes/s a slow client reads (default: half the stream's average rate)")
    long slowRate;

    @Option(names = "--fps", description = "frames per second written to the ring; 0 writes none (idle) (default ${DEFAULT-VALUE})")
    double fps = 60;
    @Option(names = "--frame-bytes", description = "payload bytes of a non-key frame (default ${DEFAULT-VALUE})")
    int frameBytes = 12_500;
    @Option(names = "--keyframe-bytes", description = "payload bytes of a keyframe (default: --frame-bytes)")
    int keyframeBytes;
    @Option(names = "--gop", description = "a keyframe every N frames (default ${DEFAULT-VALUE})")
    int gop = 60;
    @Option(names = "--ring-slots", description = "v2 ring slot count, a power of two (default ${DEFAULT-VALUE})")
    int ringSlots = 64;

    @Option(names = "--duration", description = "seconds measured (default ${DEFAULT-VALUE}, max 600)")
    int durationS = 10;
    @Option(names = "--warmup", description = "seconds between the last join and the window (default ${DEFAULT-VALUE})")
    int warmupS = 3;
    @Option(names = "--connect-rate", description = "connects per second (default ${DEFAULT-VALUE})")
    double connectRate = 500;
    @Option(names = "--connect-timeout", description = "seconds to wait for every client to join (default ${DEFAULT-VALUE})")
    int connectTimeoutS = 30;
    @Option(names = "--stall-ms", description = "stalled clients stop reading when the window opens; the k-th of n "
        + "resumes STALL*k/n ms later (default: the window's length)")
    long stallMs;
    @Option(names = "--resume", description = "ms the run goes on after the last stalled client resumed (default ${DEFAULT-VALUE})")
    int resumeMs = 1000;
    @Option(names = "--event-loops", description = "client event loops (default: available processors)")
    int eventLoops = Runtime.getRuntime().availableProcessors();
    @Option(names = "--rcvbuf", description = "client SO_RCVBUF bytes; 0 = kernel default (default ${DEFAULT-VALUE})")
    int rcvBuf;
    @Option(names = "--stalled-rcvbuf", description = "SO_RCVBUF bytes of stalled clients only; small, so what they "
        + "find queued on resume is the server's share (default: as --rcvbuf)")
    int stalledRcvBuf;
    @Option(names = "--read-chunk", description = "largest read per syscall of a healthy client (default ${DEFAULT-VALUE})")
    int readChunk = 256 * 1024;
    @Option(names = "--sample-ms", description = "server CPU/RSS sampling interval (default ${DEFAULT-VALUE})")
    int sampleMs = 1000;

    @Option(names = "--server-jar", description = "fat jar to start (default ${DEFAULT-VALUE})")
    Path serverJar = Path.of("verticles/target/sdr-transport.jar");
    @Option(names = "--server-jvm-opt", description = "JVM option for the started server (repeatable), e.g. -Xmx1g")
    List<String> serverJvmOptions = new ArrayList<>();
    @Option(names = "--server-arg", description = "extra launcher argument for the started server (repeatable), "
        + "e.g. --server-arg=-options --server-arg='{\"preferNativeTransport\":true}'")
    List<String> serverArgs = new ArrayList<>();
    @Option(names = "--server-conf", description = "JSON (inline or @file) merged per section into the started server's conf, "
        + "e.g. '{\"websocket\":{\"sendBufferBytes\":32768}}'")
    String serverConf;
    @Option(names = "--server-log", description = "where the started server's output goes (default: a temp file, printed)")
    Path serverLog;

    @Option(names = "--url", description = "target a running server instead: ws://127.0.0.1:PORT/stream/ws (needs --ring)")
    URI url;
    @Option(names = "--ring", description = "with --url: the ring file the server reads (this tool re-creates it as v2)")
    Path ring;
    @Option(names = "--server-pid", description = "with --url: PID of the server, for CPU and RSS")
    long serverPid;

    @Option(names = "--peer", description = "also measure a peer, alternating with our server in one run: 'node' is the "
        + "npm ws broadcast relay of --peer-dir, fed the same frames; prints our/peer ratios (docs/BENCHMARKS.md, Peer comparison)")
    String peer;
    @Option(names = "--rounds", description = "with --peer: rounds, each one leg of ours then one of the peer, each with its "
        + "own process, warm-up and window (default ${DEFAULT-VALUE}, max 10)")
    int rounds = 2;
    @Option(names = "--peer-dir", description = "with --peer node: the relay's directory; 'npm ci' runs there first when "
        + "node_modules is missing (default ${DEFAULT-VALUE})")
    Path peerDir = Path.of("loadtest/peer");
    @Option(names = "--node", description = "with --peer node: the node executable (default ${DEFAULT-VALUE})")
    String node = "node";
    @Option(names = "--npm", description = "with --peer node: the npm executable, for 'npm ci' (default ${DEFAULT-VALUE})")
    String npm = "npm";

    @Option(names = "--edges", description = "measure edges over NATS: alternating legs of the origin alone and the origin with "
        + "N edge servers (each with --clients viewers) through a nats-server the tool starts; prints the hop latency, bytes per "
        + "frame per edge and the origin's CPU (docs/BENCHMARKS.md, Edges over NATS) (default ${DEFAULT-VALUE}, max 4)")
    int edges;
    @Option(names = "--nats-server", description = "with --edges: the nats-server executable (default ${DEFAULT-VALUE})")
    String natsServer = "nats-server";
    @Option(names = "--nats-conf", description = "with --edges: the nats.conf whose max_payload, write_deadline and max_pending "
        + "the tool's nats-server uses (default ${DEFAULT-VALUE})")
    Path natsConf = Path.of("conf/nats.conf");

    @Option(names = "--tiers", description = "narrow links with quality tiers: the writer feeds one ring per tier (main, main~LABEL, "
        + "...; keyframes aligned), --clients healthy viewers and --narrow viewers per rate class read from a server with those tiers, "
        + "in alternating legs of tiers on (adaptive) and main only (top tier pinned) for --rounds (docs/BENCHMARKS.md, Narrow links)")
    boolean tiers;
    @Option(names = "--tier-labels", split = ",", description = "with --tiers: tier labels, largest first (default ${DEFAULT-VALUE})")
    List<String> tierLabels = new ArrayList<>(List.of("720p", "360p", "180p"));
    @Option(names = "--tier-shares", split = ",", description = "with --tiers: each tier's frame sizes as a share of --frame-bytes and "
        + "--keyframe-bytes, largest first (default ${DEFAULT-VALUE}: 2500, 600 and 150 kbit/s of a 2.5 Mbit/s top tier)")
    List<Double> tierShares = new ArrayList<>(List.of(1.0, 0.24, 0.06));
    @Option(names = "--narrow", description = "with --tiers: viewers per narrow rate class (default ${DEFAULT-VALUE})")
    int narrow = 4;
    @Option(names = "--narrow-rates", split = ",", description = "with --tiers: the rate classes, as shares of the top tier's "
        + "bitrate each narrow viewer reads at (default ${DEFAULT-VALUE})")
    List<Double> narrowRates = new ArrayList<>(List.of(0.25, 0.5, 1.0));
    @Option(names = "--narrow-rcvbuf", description = "with --tiers: SO_RCVBUF bytes of a narrow viewer (default ${DEFAULT-VALUE})")
    int narrowRcvBuf = 16 * 1024;

    @Option(names = "--clips", description = "clips while viewers watch: alternating legs of no clips and one GET /record/clip "
        + "every --clip-every-ms during the window, for --rounds (docs/BENCHMARKS.md, Recording)")
    boolean clips;
    @Option(names = "--clip-every-ms", description = "with --clips: ms between the starts of two clips (default ${DEFAULT-VALUE})")
    long clipEveryMs = 2000;
    @Option(names = "--clip-seconds", description = "with --clips: seconds of each clip (default ${DEFAULT-VALUE})")
    int clipSeconds = 30;
    @Option(names = "--label", description = "scenario name in the output")
    String label = "";
    @Option(names = "--json", description = "print JSON instead of the table")
    boolean json;
    @Option(names = "--json-file", description = "also write the JSON result here")
    Path jsonFile;
    @Option(names = "--table", arity = "1..*", description = "only print the tables of JSON results written earlier")
    List<Path> tables;
    @Option(names = "--markdown", arity = "1..*", description = "render the docs/BENCHMARKS.md tables (scenarios, stalled clients, "
        + "RSS series, targets met) from JSON results written earlier (and iperf3.txt)")
    List<Path> markdown;

    public static void main(final String[] args) {
        System.exit(new CommandLine(new LoadCommand()).execute(args));
    }

    @Override
    public Integer call() throws Exception {
        if (tables != null) {
            for (final Path table : tables) {
                final JsonObject result = new JsonObject(Files.readString(table));
                System.out.println(result.containsKey("tier_rounds") ? TierRun.table(result) : result.containsKey("edge_rounds") ? EdgeRun.table(result)
                    : result.containsKey("rounds") ? PeerReport.table(result) : Report.table(result));
            }
            return 0;
        }
        if (markdown != null) {
            System.out.print(MarkdownReport.render(markdown));
            return 0;
        }
        final String problem = validate();
        if (problem != null) {
            System.err.println("sdr-load: " + problem);
            return 2;
        }
        final long legS = warmupS + durationS + connectTimeoutS + (stallMs + resumeMs) / 1000 + 90;
        // Peer mode: two legs a round, and perhaps an npm ci first.
        final Watchdog watchdog = Watchdog.start(peer == null && edges == 0 && !tiers && !clips ? legS : 2 * rounds * legS + 180);
        try {
            final JsonObject result = clips ? new ClipRun(this).run() : tiers ? new TierRun(this).run() : edges > 0 ? new EdgeRun(this).run()
                : peer == null ? new LoadRun(this).run() : new PeerRun(this).run();
            if (jsonFile != null) {
                Files.writeString(jsonFile, result.encodePrettily() + "\n");
            }
            System.out.println(json ? result.encodePrettily() : clips ? ClipRun.table(result) : tiers ? TierRun.table(result) : edges > 0 ? EdgeRun.table(result)
                : peer == null ? Report.table(result) : PeerReport.table(result));
            return result.getString("error") == null ? 0 : 1;
        } finally {
            watchdog.cancel();
        }
    }

    private String validate() throws IOException {
        if (clients < 0 || clients > MAX_CLIENTS) {
            return "--clients=" + clients + ": must be in [0, " + MAX_CLIENTS + "]";
        }
        if (joiners < 0 || clients + joiners > MAX_CLIENTS) {
            return "--joiners=" + joiners + ": must be >= 0 and with --clients=" + clients + " <= " + MAX_CLIENTS;
        }
        if (stalled < 0 || slow < 0 || stalled + slow > clients) {
            return "--stalled=" + stalled + ", --slow=" + slow + ": must be >= 0 and together <= --clients=" + clients;
        }
        if (durationS < 1 || durationS > MAX_DURATION_S) {
            return "--duration=" + durationS + ": must be in [1, " + MAX_DURATION_S + "]";
        }
        if (warmupS < 0 || warmupS > 60 || connectTimeoutS < 1 || connectTimeoutS > 120 || resumeMs < 0 || resumeMs > 10_000) {
            return "--warmup must be in [0, 60], --connect-timeout in [1, 120], --resume in [0, 10000]";
        }
        if (fps < 0 || fps > 10_000 || gop < 1 || frameBytes < 9 || keyframeBytes < 0 || connectRate <= 0) {
            return "--fps must be in [0, 10000], --gop >= 1, --frame-bytes >= 9 (timestamp and tier byte), --connect-rate > 0";
        }
        if (stallMs < 0 || stallMs > 600_000) {
            return "--stall-ms=" + stallMs + ": must be in [0, 600000]";
        }
        if (eventLoops < 1 || eventLoops > 64 || sampleMs < 100) {
            return "--event-loops must be in [1, 64], --sample-ms >= 100";
        }
        if (edges < 0 || edges > 4) {
            return "--edges=" + edges + ": must be in [0, 4]";
        }
        if (edges > 0 && (peer != null || url != null || stalled > 0 || slow > 0 || joiners > 0)) {
            return "--edges starts the origin, the edges and nats-server itself, with healthy viewers only: not with --peer, --url, "
                + "--stalled, --slow or --joiners";
        }
        if (clips && (peer != null || url != null || edges > 0 || tiers || clipEveryMs < 100 || clipSeconds < 1 || clipSeconds > 600)) {
            return "--clips starts its own server: not with --peer, --url, --edges or --tiers; --clip-every-ms >= 100, --clip-seconds in [1, 600]";
        }
        if (tiers) {
            final String problem = tierProblem();
            if (problem != null) {
                return problem;
            }
        }
        if (edges > 0 && !Files.isRegularFile(natsConf)) {
            return "--nats-conf=" + natsConf + ": not found (run from the repository root, or give --nats-conf)";
        }
        if (edges > 0 && (rounds < 1 || rounds > 10)) {
            return "--rounds=" + rounds + ": must be in [1, 10]";
        }
        if (peer != null) {
            if (!"node".equals(peer)) {
                return "--peer=" + peer + ": the one peer is 'node' (the npm ws relay of --peer-dir)";
            }
            if (url != null) {
                return "--peer starts both servers itself: not with --url";
            }
            if (rounds < 1 || rounds > 10) {
                return "--rounds=" + rounds + ": must be in [1, 10]";
            }
            if (!Files.isRegularFile(peerDir.resolve("relay.js"))) {
                return "--peer-dir=" + peerDir + ": no relay.js there (run from the repository root, or give --peer-dir)";
            }
        }
        if (url != null) {
            if (!"ws".equals(url.getScheme()) || url.getHost() == null || url.getPort() < 0) {
                return "--url=" + url + ": must be ws://HOST:PORT/PATH";
            }
            if (!InetAddress.getByName(url.getHost()).isLoopbackAddress()) {
                return "--url=" + url + ": loopback only (127.0.0.1, ::1, localhost)";
            }
            if (ring == null) {
                return "--url needs --ring (the ring file that server reads)";
            }
        } else if (!Files.isRegularFile(serverJar)) {
            return "--server-jar=" + serverJar + ": not found (mvn -B -q package -DskipTests builds it)";
        }
        if (keyframeBytes == 0) {
            keyframeBytes = frameBytes;
        }
        return null;
    }

    /** Why the --tiers options cannot run, or null. */
    String tierProblem() {
        if (peer != null || url != null || edges > 0 || stalled > 0 || slow > 0 || joiners > 0) {
            return "--tiers starts its own server with healthy and narrow viewers only: not with --peer, --url, --edges, --stalled, --slow or --joiners";
        }
        if (rounds < 1 || rounds > 10) {
            return "--rounds=" + rounds + ": must be in [1, 10]";
        }
        if (fps <= 0) {
            return "--tiers needs frames: --fps > 0";
        }
        if (tierLabels.size() < 2 || tierLabels.size() > 8 || tierLabels.size() != tierShares.size()) {
            return "--tier-labels=" + tierLabels + ", --tier-shares=" + tierShares + ": 2 to 8 tiers, one share per label";
        }
        for (int i = 0; i < tierLabels.size(); i++) {
            final String label = tierLabels.get(i);
            if (!label.matches("[A-Za-z0-9_-]{1,32}") || "auto".equals(label) || tierLabels.indexOf(label) != i) {
                return "--tier-labels: \"" + label + "\" must be 1-32 of A-Z a-z 0-9 _ -, not \"auto\", and unique";
            }
            final double share = tierShares.get(i);
            if (!(share > 0 && share <= 1) || i > 0 && share >= tierShares.get(i - 1) || i == 0 && share != 1.0) {
                return "--tier-shares=" + tierShares + ": the first 1, then each smaller than the one before, all > 0";
            }
            if (Math.round(frameBytes * share) < 9) {
                return "--tier-shares: tier " + label + " would carry " + Math.round(frameBytes * share)
                    + " B frames; at least 9 (timestamp and tier byte): raise --frame-bytes";
            }
        }
        if (narrow < 0 || narrowRates.isEmpty() || narrowRates.size() > 8 || clients + narrow * narrowRates.size() > MAX_CLIENTS) {
            return "--narrow=" + narrow + ", --narrow-rates=" + narrowRates + ": 1-8 rates, and with --clients at most " + MAX_CLIENTS + " viewers";
        }
        for (final double rate : narrowRates) {
            if (!(rate > 0 && rate <= 10)) {
                return "--narrow-rates=" + narrowRates + ": each a share of the top tier's rate in (0, 10]";
            }
        }
        if (narrowRcvBuf < 0 || narrowRcvBuf > 64 << 20) {
            return "--narrow-rcvbuf=" + narrowRcvBuf + ": must be in [0, 67108864]";
        }
        return null;
    }

    /** Average payload bytes per second the writer produces. */
    double streamBytesPerSecond() {
        return fps * (keyframeBytes + (gop - 1.0) * frameBytes) / gop;
    }

    /** Ends the JVM if a run overstays its bound (a wedged server or event loop must not hang a session). */
    static final class Watchdog {
        private final Thread thread;

        private Watchdog(final Thread thread) {
            this.thread = thread;
        }

        static Watchdog start(final long seconds) {
            final Thread thread = new Thread(() -> {
                try {
                    Thread.sleep(seconds * 1000);
                    System.err.println("sdr-load: run exceeded " + seconds + " s, exiting");
                    System.exit(3);
                } catch (final InterruptedException cancelled) {
                    // Finished in time.
                }
            }, "sdr-load-watchdog");
            thread.setDaemon(true);
            thread.start();
            return new Watchdog(thread);
        }

        void cancel() {
            thread.interrupt();
        }
    }
}
