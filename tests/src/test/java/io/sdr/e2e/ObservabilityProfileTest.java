package io.sdr.e2e;

import io.sdr.testing.ChildProcess;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;
import org.yaml.snakeyaml.Yaml;

import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.WebSocket;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

import static io.sdr.e2e.E2eKit.Result;
import static io.sdr.testing.Await.eventually;
import static io.sdr.testing.Ports.freePort;
import static io.sdr.e2e.E2eKit.getJson;
import static io.sdr.e2e.E2eKit.getText;
import static io.sdr.testing.RepoPaths.repoRoot;
import static io.sdr.e2e.E2eKit.requireTool;
import static io.sdr.e2e.E2eKit.run;
import static io.sdr.e2e.E2eKit.startNats;
import static io.sdr.e2e.E2eKit.startServer;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * The compose profile "obs" without a Docker engine: Debian's promtool accepts the Prometheus
 * config, docker-compose resolves the profile with the files mounted where the provisioning
 * expects them, and every query of the provisioned Grafana dashboard names only metrics that the
 * fat jar (shipped conf, a real nats-server, one viewer) actually exports on /metrics. A renamed
 * metric would leave a dashboard panel silently empty; this is the test that notices.
 */
@Timeout(120)
class ObservabilityProfileTest {
    private static final Duration TOOL_TIMEOUT = Duration.ofSeconds(60);
    private static final Path DASHBOARD = Path.of("conf/grafana/dashboards/sdr-transport.json");
    /** PromQL words that are neither functions (followed by "(") nor metric names. */
    private static final Set<String> KEYWORDS = Set.of("by", "without", "on", "ignoring", "group_left", "group_right",
        "bool", "and", "or", "unless", "offset", "inf", "nan");

    @TempDir
    Path dir;

    @Test
    void shouldPassPromtoolCheckConfig() throws Exception {
        final Result result = run(List.of(requireTool("promtool", "prometheus"), "check", "config", "conf/prometheus.yml"),
            Map.of(), TOOL_TIMEOUT);
        assertEquals(0, result.exitCode(), "promtool check config:\n" + result.output());
        assertTrue(result.output().contains("SUCCESS"), result.output());

        // The check must be able to fail: a broken copy is refused.
        final Path broken = Files.writeString(dir.resolve("prometheus.yml"),
            Files.readString(repoRoot().resolve("conf/prometheus.yml")).replace("scrape_interval: 5s", "scrape_interval: five"));
        final Result refused = run(List.of(requireTool("promtool", "prometheus"), "check", "config", broken.toString()),
            Map.of(), TOOL_TIMEOUT);
        assertFalse(refused.exitCode() == 0, "promtool refuses a bad duration:\n" + refused.output());
    }

    @Test
    @SuppressWarnings("unchecked")
    void shouldResolveTheObsProfileWithPrometheusScrapingTheServerAndGrafanaProvisioned() throws Exception {
        final Result result = run(List.of(requireTool("docker-compose", "docker-compose"), "-f", "docker-compose.yml",
            "--profile", "obs", "config"), Map.of(), TOOL_TIMEOUT);
        assertEquals(0, result.exitCode(), "docker-compose config:\n" + result.output());
        final Map<String, Object> config = new Yaml().load(result.output().substring(result.output().indexOf("networks:")));
        final Map<String, Object> services = (Map<String, Object>) config.get("services");
        assertTrue(services.keySet().containsAll(Set.of("prometheus", "grafana", "transport-server")), services.keySet().toString());
        final Map<String, Object> prometheus = (Map<String, Object>) services.get("prometheus");
        final Map<String, Object> grafana = (Map<String, Object>) services.get("grafana");
        assertEquals(List.of("obs"), prometheus.get("profiles"));
        assertEquals(List.of("obs"), grafana.get("profiles"));
        assertTrue(E2eKit.mounts(prometheus).stream().anyMatch(m -> m.endsWith("/conf/prometheus.yml:/etc/prometheus/prometheus.yml:ro")),
            E2eKit.mounts(prometheus).toString());
        assertEquals(Set.of("backplane"), ((Map<String, Object>) prometheus.get("networks")).keySet(), "Prometheus stays on the backplane");
        assertTrue(E2eKit.mounts(grafana).stream().anyMatch(m -> m.endsWith("/conf/grafana/provisioning:/etc/grafana/provisioning:ro")),
            E2eKit.mounts(grafana).toString());
        assertTrue(E2eKit.mounts(grafana).stream().anyMatch(m -> m.endsWith("/conf/grafana/dashboards:/var/lib/grafana/dashboards:ro")),
            E2eKit.mounts(grafana).toString());
        final String ports = String.valueOf(grafana.get("ports"));
        assertTrue(ports.contains("127.0.0.1"), "Grafana is published on the host's loopback only: " + ports);

        // Prometheus scrapes what the transport server serves, and the server lets the backplane read it.
        final Map<String, Object> prom = new Yaml().load(Files.readString(repoRoot().resolve("conf/prometheus.yml")));
        final String scraped = String.valueOf(prom.get("scrape_configs"));
        assertTrue(scraped.contains("transport-server:8080") && scraped.contains("/metrics"), scraped);
        final Map<String, Object> env = (Map<String, Object>) ((Map<String, Object>) services.get("transport-server")).get("environment");
        assertEquals("0.0.0.0:8080", env.get("SDR_LISTEN_ADDR"));
        assertTrue(String.valueOf(env.get("SDR_ADMIN_ALLOW")).contains("172.16.0.0/12"), "/metrics open to the backplane: " + env);

        // Grafana's provisioning: the data source the dashboard names, the folder the dashboards are mounted at.
        final Map<String, Object> datasources = new Yaml().load(Files.readString(
            repoRoot().resolve("conf/grafana/provisioning/datasources/prometheus.yml")));
        final Map<String, Object> source = ((List<Map<String, Object>>) datasources.get("datasources")).get(0);
        assertEquals("http://prometheus:9090", source.get("url"));
        final Map<String, Object> providers = new Yaml().load(Files.readString(
            repoRoot().resolve("conf/grafana/provisioning/dashboards/sdr.yml")));
        assertEquals("/var/lib/grafana/dashboards", ((Map<String, Object>) ((List<Map<String, Object>>) providers.get("providers"))
            .get(0).get("options")).get("path"));
        for (final JsonObject panel : panels()) {
            assertEquals(source.get("uid"), panel.getJsonObject("datasource").getString("uid"), "panel " + panel.getString("title"));
            for (final Object target : panel.getJsonArray("targets")) {
                assertEquals(source.get("uid"), ((JsonObject) target).getJsonObject("datasource").getString("uid"));
            }
        }
    }

    @Test
    void shouldFindTheMetricNamesInPromql() {
        assertEquals(Set.of("sdr_ws_commit_to_written_seconds_bucket"), metricNames(
            "histogram_quantile(0.99, sum by (le, stream) (rate(sdr_ws_commit_to_written_seconds_bucket{stream=~\"m.*\"}[$__rate_interval])))"));
        assertEquals(Set.of("a_total", "b"), metricNames("sum without (reason) (increase(a_total[5m])) / on (x) group_left b * 8"));
        assertEquals(Set.of("process_cpu_usage"), metricNames("process_cpu_usage"));
    }

    @Test
    void shouldQueryOnlyMetricsThatARunningServerExports() throws Exception {
        final int natsPort = freePort();
        final int port = freePort();
        try (ChildProcess nats = startNats(natsPort);
             ChildProcess server = startServer("transport-obs", port, Map.of(
                 "SDR_SHM_PATH", dir.resolve("frames").toString(),
                 "SDR_LISTEN_ADDR", "127.0.0.1:" + port,
                 "SDR_NATS_URL", "nats://127.0.0.1:" + natsPort,
                 "SDR_BRIDGE_ADDR", "127.0.0.1:" + freePort()), "-conf", "conf/conf.json")) {
            eventually("the server streams with NATS connected", () -> {
                final JsonObject health = getJson("http://127.0.0.1:" + port + "/health");
                return health != null && health.getLong("shm_seq", 0L) > 0 && health.getJsonObject("nats") != null
                    && "connected".equals(health.getJsonObject("nats").getString("status"));
            });
            // One viewer, so the per-client figures (socket writes, their latency) have samples.
            final AtomicInteger messages = new AtomicInteger();
            final WebSocket viewer = HttpClient.newHttpClient().newWebSocketBuilder()
                .buildAsync(URI.create("ws://127.0.0.1:" + port + "/stream/ws"), new WebSocket.Listener() {
                    @Override
                    public CompletionStage<?> onBinary(final WebSocket ws, final java.nio.ByteBuffer data, final boolean last) {
                        messages.incrementAndGet();
                        ws.request(1);
                        return null;
                    }
                }).get(30, TimeUnit.SECONDS);
            try {
                eventually("the viewer receives", () -> messages.get() > 30);
                final Set<String> exported = exportedNames(getText("http://127.0.0.1:" + port + "/metrics"));
                final Set<String> queried = new TreeSet<>();
                final List<String> missing = new ArrayList<>();
                for (final JsonObject panel : panels()) {
                    for (final Object target : panel.getJsonArray("targets")) {
                        final String expr = ((JsonObject) target).getString("expr");
                        final Set<String> names = metricNames(expr);
                        assertFalse(names.isEmpty(), "panel " + panel.getString("title") + " queries no metric: " + expr);
                        for (final String name : names) {
                            queried.add(name);
                            if (!exported.contains(name)) {
                                missing.add(panel.getString("title") + ": " + name);
                            }
                        }
                    }
                }
                assertEquals(List.of(), missing, "dashboard queries naming metrics the server does not export");
                // What the issues ask the dashboard to show: frame rate, viewers, drops, latency per stage, encoder, NATS, tier switches.
                for (final String needed : List.of("sdr_ring_polls_total", "sdr_ws_clients", "sdr_ws_frames_dropped_total",
                    "sdr_encoder_capture_to_ring_seconds_bucket", "sdr_ring_commit_to_publish_seconds_bucket",
                    "sdr_ws_commit_to_written_seconds_bucket", "sdr_encoder_info", "sdr_encoder_frames_total",
                    "sdr_nats_connected", "sdr_nats_messages_relayed_total", "sdr_ws_tier_switches_total")) {
                    assertTrue(queried.contains(needed), "the dashboard shows " + needed + "; it queries " + queried);
                }
                System.out.printf("%ndashboard: %d panels, %d distinct metrics, all exported by the server%n",
                    panels().size(), queried.size());
            } finally {
                viewer.abort();
            }
        }
    }

    /** The panels of the dashboard that have queries (rows have none). */
    private static List<JsonObject> panels() throws Exception {
        final JsonObject dashboard = new JsonObject(Files.readString(repoRoot().resolve(DASHBOARD)));
        final List<JsonObject> out = new ArrayList<>();
        for (final Object item : dashboard.getJsonArray("panels", new JsonArray())) {
            final JsonObject panel = (JsonObject) item;
            if (!"row".equals(panel.getString("type"))) {
                out.add(panel);
            }
        }
        assertTrue(out.size() >= 10, "dashboard panels: " + out.size());
        return out;
    }

    /** Sample names in a Prometheus exposition (counters as _total, histograms as _bucket/_count/_sum/_max). */
    static Set<String> exportedNames(final String exposition) {
        final Set<String> names = new TreeSet<>();
        final Matcher m = Pattern.compile("^([a-zA-Z_:][a-zA-Z0-9_:]*)[{ ]", Pattern.MULTILINE).matcher(exposition);
        while (m.find()) {
            names.add(m.group(1));
        }
        return names;
    }

    /** The metric names a PromQL expression reads: identifiers that are not functions, keywords or label names. */
    static Set<String> metricNames(final String expr) {
        String s = expr.replaceAll("\"(\\\\.|[^\"\\\\])*\"", "\"\"");
        s = s.replaceAll("\\{[^}]*}", " ");
        s = s.replaceAll("\\[[^]]*]", " ");
        s = s.replaceAll("\\b(by|without|on|ignoring|group_left|group_right)\\s*\\([^)]*\\)", " ");
        final Set<String> names = new TreeSet<>();
        final Matcher m = Pattern.compile("(?<![\\w.$])([a-zA-Z_:][a-zA-Z0-9_:]*)(\\s*\\()?").matcher(s);
        while (m.find()) {
            if (m.group(2) == null && !KEYWORDS.contains(m.group(1).toLowerCase(java.util.Locale.ROOT))) {
                names.add(m.group(1));
            }
        }
        return names;
    }
}
