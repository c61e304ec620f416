package io.sdr.e2e;

import io.sdr.testing.ChildProcess;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;
import org.yaml.snakeyaml.Yaml;

import java.net.InetAddress;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import java.util.TreeSet;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

import static io.sdr.e2e.E2eKit.Result;
import static io.sdr.e2e.E2eKit.caddyEnv;
import static io.sdr.testing.Await.eventually;
import static io.sdr.testing.Ports.freePort;
import static io.sdr.e2e.E2eKit.getJson;
import static io.sdr.testing.RepoPaths.repoRoot;
import static io.sdr.e2e.E2eKit.requireTool;
import static io.sdr.e2e.E2eKit.run;
import static io.sdr.e2e.E2eKit.startNats;
import static io.sdr.e2e.E2eKit.startServer;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * The deployment files, checked with the real tools and no Docker engine: Caddy (Debian's 2.6)
 * validates and adapts the Caddyfile, docker-compose 1.29 resolves the compose file with every
 * profile, every file a Dockerfile copies exists, and the pieces the compose services run (the sim
 * profile's configuration, writer and telemetry demo, the ROS run script) work outside a container.
 */
@Timeout(120)
class DeploymentFilesTest {
    private static final Duration TOOL_TIMEOUT = Duration.ofSeconds(60);

    @TempDir
    Path dir;

    // ---- Caddy --------------------------------------------------------------------------------

    @Test
    void shouldPassCaddyValidateWithAndWithoutADomain() throws Exception {
        final String caddy = requireTool("caddy", "caddy");
        for (final Map<String, String> settings : List.of(Map.<String, String>of(), Map.of("DOMAIN", "sdr.example.com"))) {
            final Result result = run(List.of(caddy, "validate", "--config", "Caddyfile", "--adapter", "caddyfile"),
                caddyEnv(dir, settings), TOOL_TIMEOUT);
            assertEquals(0, result.exitCode(), "caddy validate " + settings + ":\n" + result.output());
            assertTrue(result.output().contains("Valid configuration"), result.output());
        }
    }

    @Test
    void shouldRouteThePlatformPathsAndTheTransportFromEnvironmentPlaceholders() throws Exception {
        final JsonObject servers = adapt(Map.of("PORT", "18080", "TRANSPORT_UPSTREAM", "10.1.2.3:8081",
            "STREAM_UPSTREAM_HOST", "transport-edge", "STREAM_UPSTREAM_PORT", "8082",
            "WEB_UPSTREAM", "web:3000", "ROSBRIDGE_UPSTREAM", "ros:9090"));
        assertEquals(1, servers.size(), "one plain-HTTP server without DOMAIN: " + servers.encodePrettily());
        final JsonObject server = servers.getJsonObject(servers.fieldNames().iterator().next());
        assertEquals(new JsonArray().add(":18080"), server.getJsonArray("listen"));
        final Map<String, Route> routes = routesByPath(server.getJsonArray("routes"));
        assertEquals(Set.of("/stream/*", "/foxglove", "/viewer", "/viewer/*", "/assets/*", "/configs/*", "/socket.io/*", "/rosbridge/*", "*"),
            routes.keySet(), "routes: " + routes);
        assertEquals(List.of("dns-a transport-edge:8082 every 5 s"), routes.get("/stream/*").upstreams,
            "viewers' streams go to every server the name resolves to (the scaled edges)");
        assertEquals(routes.get("/stream/*").upstreams, routes.get("/foxglove").upstreams, "Foxglove viewers go where viewers stream from");
        assertTrue(server.encode().contains("\"policy\":\"least_conn\""),
            "long-lived WebSockets are spread by least connections");
        assertEquals(List.of("10.1.2.3:8081"), routes.get("/viewer/*").upstreams);
        assertEquals("/viewer", routes.get("/viewer/*").stripPrefix, "the viewer's prefix is stripped: the server serves it at /");
        assertTrue(routes.get("/viewer").handlers.contains("static_response"), "/viewer redirects to /viewer/");
        for (final String web : List.of("/assets/*", "/configs/*", "/socket.io/*", "*")) {
            assertEquals(List.of("web:3000"), routes.get(web).upstreams, web);
        }
        assertEquals(List.of("ros:9090"), routes.get("/rosbridge/*").upstreams);
        assertEquals("/rosbridge", routes.get("/rosbridge/*").stripPrefix);

        // The defaults are the compose service names.
        final JsonObject defaults = adapt(Map.of());
        final JsonObject defaultServer = defaults.getJsonObject(defaults.fieldNames().iterator().next());
        assertEquals(new JsonArray().add(":80"), defaultServer.getJsonArray("listen"));
        final Map<String, Route> defaultRoutes = routesByPath(defaultServer.getJsonArray("routes"));
        assertEquals(List.of("dns-a transport-server:8080 every 5 s"), defaultRoutes.get("/stream/*").upstreams,
            "by default viewers stream from the origin");
        assertEquals(List.of("webserver:3000"), defaultRoutes.get("*").upstreams);
        assertEquals(List.of("ros-bridge:9090"), defaultRoutes.get("/rosbridge/*").upstreams);
    }

    @Test
    void shouldServeTheDomainOverHttpsWhenDomainIsSet() throws Exception {
        final JsonObject servers = adapt(Map.of("DOMAIN", "sdr.example.com", "PORT", "8080"));
        JsonObject tls = null;
        JsonObject plain = null;
        for (final String name : servers.fieldNames()) {
            final JsonObject server = servers.getJsonObject(name);
            if (server.getJsonArray("listen").contains(":443")) {
                tls = server;
            } else if (server.getJsonArray("listen").contains(":8080")) {
                plain = server;
            }
        }
        assertNotNull(tls, "an HTTPS server on :443 for the domain: " + servers.encodePrettily());
        assertNotNull(plain, "the plain-HTTP listener stays: " + servers.encodePrettily());
        final JsonArray match = tls.getJsonArray("routes").getJsonObject(0).getJsonArray("match");
        assertEquals(new JsonArray().add("sdr.example.com"), match.getJsonObject(0).getJsonArray("host"),
            "the HTTPS site is the domain: Caddy manages its certificate (and redirects http://DOMAIN)");
        assertTrue(tls.encode().contains("\"/stream/*\""), "the same routes on HTTPS");
    }

    /** {@code caddy adapt} with {@code settings}: the http app's servers. */
    private JsonObject adapt(final Map<String, String> settings) throws Exception {
        final Result result = run(List.of(requireTool("caddy", "caddy"), "adapt", "--config", "Caddyfile", "--adapter", "caddyfile"),
            caddyEnv(dir, settings), TOOL_TIMEOUT);
        assertEquals(0, result.exitCode(), "caddy adapt " + settings + ":\n" + result.output());
        // stdout is the config on one line; Caddy's own log lines (stderr) are JSON objects too.
        final JsonObject config = result.output().lines().filter(l -> l.startsWith("{\"admin\"") || l.contains("\"apps\":"))
            .findFirst().map(JsonObject::new).orElseThrow(() -> new AssertionError("no config in:\n" + result.output()));
        assertTrue(config.getJsonObject("admin").getBoolean("disabled"), "admin API off");
        return config.getJsonObject("apps").getJsonObject("http").getJsonObject("servers");
    }

    /** One top-level route of the adapted config: its handlers, upstreams and stripped prefix, found at any depth. */
    private record Route(List<String> handlers, List<String> upstreams, String stripPrefix) {
    }

    private static Map<String, Route> routesByPath(final JsonArray routes) {
        final Map<String, Route> byPath = new TreeMap<>();
        for (int i = 0; i < routes.size(); i++) {
            final JsonObject route = routes.getJsonObject(i);
            final JsonArray match = route.getJsonArray("match");
            final List<String> paths = new ArrayList<>();
            if (match == null) {
                paths.add("*");
            } else {
                match.getJsonObject(0).getJsonArray("path").forEach(p -> paths.add((String) p));
            }
            final List<String> handlers = new ArrayList<>();
            final List<String> upstreams = new ArrayList<>();
            final String[] strip = new String[1];
            collect(route, handlers, upstreams, strip);
            for (final String path : paths) {
                byPath.put(path, new Route(handlers, upstreams, strip[0]));
            }
        }
        return byPath;
    }

    private static void collect(final Object node, final List<String> handlers, final List<String> upstreams, final String[] strip) {
        if (node instanceof JsonObject object) {
            if (object.getValue("handler") instanceof String handler) {
                handlers.add(handler);
                if (handler.equals("rewrite") && object.containsKey("strip_path_prefix")) {
                    strip[0] = object.getString("strip_path_prefix");
                }
            }
            if (object.getValue("dial") instanceof String dial) {
                upstreams.add(dial);
            }
            // Dynamic upstreams (the /stream/* servers): "dns-a NAME:PORT, every REFRESH".
            if (object.getValue("dynamic_upstreams") instanceof JsonObject dynamic) {
                upstreams.add("dns-" + dynamic.getString("source") + " " + dynamic.getString("name") + ":" + dynamic.getString("port")
                    + " every " + dynamic.getLong("refresh", 60_000_000_000L) / 1_000_000_000L + " s");
            }
            object.forEach(e -> collect(e.getValue(), handlers, upstreams, strip));
        } else if (node instanceof JsonArray array) {
            array.forEach(v -> collect(v, handlers, upstreams, strip));
        }
    }

    // ---- docker-compose -----------------------------------------------------------------------

    @Test
    @SuppressWarnings("unchecked")
    void shouldResolveTheComposeFileWithEveryProfile() throws Exception {
        final Result result = run(List.of(requireTool("docker-compose", "docker-compose"), "-f", "docker-compose.yml",
            "--profile", "sim", "--profile", "ros", "config"), Map.of(), TOOL_TIMEOUT);
        assertEquals(0, result.exitCode(), "docker-compose config:\n" + result.output());
        final String yaml = result.output().substring(result.output().indexOf("networks:"));
        final Map<String, Object> config = new Yaml().load(yaml);

        final Map<String, Object> services = (Map<String, Object>) config.get("services");
        // docker-compose 1.29 lists every profile's services; the obs profile is checked by ObservabilityProfileTest.
        assertEquals(Set.of("caddy", "transport-server", "transport-edge", "nats", "sim-writer", "sim-telemetry", "ros-bridge",
            "prometheus", "grafana"), services.keySet());
        final Map<String, Object> networks = (Map<String, Object>) config.get("networks");
        assertEquals(Set.of("edge", "backplane"), networks.keySet());
        assertEquals(Boolean.TRUE, ((Map<String, Object>) networks.get("backplane")).get("internal"), "backplane is internal");
        final Map<String, Object> volumes = (Map<String, Object>) config.get("volumes");
        assertTrue(volumes.keySet().containsAll(Set.of("sdr_ipc", "nats_data", "caddy_data")), "volumes: " + volumes.keySet());
        final Map<String, Object> ipc = (Map<String, Object>) ((Map<String, Object>) volumes.get("sdr_ipc")).get("driver_opts");
        assertEquals("tmpfs", ipc.get("type"), "the shared-memory volume is tmpfs");

        final Map<String, Object> caddy = service(services, "caddy");
        assertEquals(Set.of("edge", "backplane"), ((Map<String, Object>) caddy.get("networks")).keySet(), "caddy bridges edge and backplane");
        assertTrue(E2eKit.mounts(caddy).stream().anyMatch(m -> m.endsWith("/Caddyfile:/etc/caddy/Caddyfile:ro")), "the project's Caddyfile: " + E2eKit.mounts(caddy));
        assertEquals("transport-server:8080", ((Map<String, Object>) caddy.get("environment")).get("TRANSPORT_UPSTREAM"));
        for (final String backplaneOnly : List.of("transport-server", "transport-edge", "nats", "sim-writer", "sim-telemetry", "ros-bridge")) {
            assertEquals(Set.of("backplane"), ((Map<String, Object>) service(services, backplaneOnly).get("networks")).keySet(),
                backplaneOnly + " is on the backplane only");
        }

        final Map<String, Object> transport = service(services, "transport-server");
        assertEquals("Dockerfile", ((Map<String, Object>) transport.get("build")).get("dockerfile"));
        assertTrue(E2eKit.mounts(transport).contains("sdr_ipc:/dev/shm/sdr_os_ipc:rw"), "transport mounts the rings: " + E2eKit.mounts(transport));
        assertTrue(E2eKit.mounts(service(services, "sim-writer")).contains("sdr_ipc:/dev/shm/sdr_os_ipc:rw"), "the writer shares them");
        assertEquals("nats://nats:4222", ((Map<String, Object>) transport.get("environment")).get("SDR_NATS_URL"));
        assertEquals(List.of("-conf", "/app/conf/conf.json"), transport.get("command"), "the default conf unless SDR_CONF is set");
        assertNotNull(transport.get("healthcheck"), "the transport has a health check (caddy waits for it)");

        // Edges: the same image and access rules, conf/edge.json, no ring; scalable (no fixed name or host port).
        final Map<String, Object> edge = service(services, "transport-edge");
        assertEquals(List.of("edge"), edge.get("profiles"));
        assertEquals(List.of("-conf", "/app/conf/edge.json"), edge.get("command"));
        assertEquals(transport.get("image"), edge.get("image"), "the same image as the origin");
        assertTrue(E2eKit.mounts(edge).stream().noneMatch(m -> m.contains("sdr_ipc")), "an edge has no ring: " + E2eKit.mounts(edge));
        assertNull(edge.get("container_name"), "--scale needs no fixed container name");
        assertNull(edge.get("ports"), "--scale needs no published port (Caddy reaches the edges on the backplane)");
        final Map<String, Object> edgeEnv = new TreeMap<>((Map<String, Object>) edge.get("environment"));
        final Map<String, Object> originEnv = new TreeMap<>((Map<String, Object>) transport.get("environment"));
        originEnv.remove("SDR_SHM_PATH");
        assertEquals(originEnv, edgeEnv, "an edge applies the origin's access rules and reaches the same NATS");
        assertNotNull(edge.get("healthcheck"));
        assertEquals("transport-server", ((Map<String, Object>) caddy.get("environment")).get("STREAM_UPSTREAM_HOST"),
            "viewers stream from the origin unless SDR_STREAM_UPSTREAM names the edges");

        final Map<String, Object> nats = service(services, "nats");
        assertEquals(List.of("-c", "/etc/nats/nats.conf"), nats.get("command"));
        assertTrue(E2eKit.mounts(nats).stream().anyMatch(m -> m.endsWith("/conf/nats.conf:/etc/nats/nats.conf:ro")), "conf/nats.conf: " + E2eKit.mounts(nats));

        assertEquals(List.of("sim"), service(services, "sim-writer").get("profiles"));
        assertEquals(List.of("sim"), service(services, "sim-telemetry").get("profiles"));
        final Map<String, Object> ros = service(services, "ros-bridge");
        assertEquals(List.of("ros"), ros.get("profiles"));
        assertEquals("containers/ros-jazzy/Dockerfile", ((Map<String, Object>) ros.get("build")).get("dockerfile"));
        for (final String core : List.of("caddy", "transport-server", "nats")) {
            assertEquals(null, service(services, core).get("profiles"), core + " runs without a profile");
        }

        // The sim profile's switch: SDR_CONF picks the server's conf file.
        final Result sim = run(List.of(requireTool("docker-compose", "docker-compose"), "-f", "docker-compose.yml", "config"),
            Map.of("SDR_CONF", "conf/conf.sim.json"), TOOL_TIMEOUT);
        assertEquals(0, sim.exitCode(), sim.output());
        assertTrue(sim.output().contains("/app/conf/conf.sim.json"), "SDR_CONF reaches the server's command");
        final Result edges = run(List.of(requireTool("docker-compose", "docker-compose"), "-f", "docker-compose.yml", "--profile", "edge", "config"),
            Map.of("SDR_STREAM_UPSTREAM", "transport-edge"), TOOL_TIMEOUT);
        assertEquals(0, edges.exitCode(), edges.output());
        assertTrue(edges.output().contains("STREAM_UPSTREAM_HOST: transport-edge"), "SDR_STREAM_UPSTREAM reaches Caddy:\n" + edges.output());
    }

    @SuppressWarnings("unchecked")
    private static Map<String, Object> service(final Map<String, Object> services, final String name) {
        return (Map<String, Object>) services.get(name);
    }

    // ---- Dockerfiles (no engine: what they copy must exist, what they promise must be there) --

    /**
     * An edge has no encoder: {@code conf/edge.json} names the tiers of the origin's
     * {@code conf/conf.json} (its encoder's picture and {@code encoder.tiers}) as streams and in
     * {@code websocket.tiers}, so that a viewer on an edge is offered, and can pin, what a viewer
     * on the origin is. This keeps the two files from drifting apart.
     */
    @Test
    void shouldRelayTheOriginsTiersOnEdges() throws Exception {
        final JsonObject origin = new JsonObject(Files.readString(repoRoot().resolve("conf/conf.json")));
        final JsonObject edge = new JsonObject(Files.readString(repoRoot().resolve("conf/edge.json")));
        final JsonObject encoder = origin.getJsonObject("encoder");
        final String stream = encoder.getString("stream");
        final JsonObject expected = new JsonObject().put(stream, new JsonObject()
            .put("label", encoder.getInteger("height") + "p").put("width", encoder.getInteger("width"))
            .put("height", encoder.getInteger("height")).put("bitrateKbps", encoder.getInteger("bitrateKbps")));
        final List<String> streams = new ArrayList<>(List.of(stream));
        for (final Object t : encoder.getJsonArray("tiers")) {
            final JsonObject tier = (JsonObject) t;
            final String name = stream + "~" + tier.getString("name");
            streams.add(name);
            expected.put(name, new JsonObject().put("label", tier.getString("name")).put("width", tier.getInteger("width"))
                .put("height", tier.getInteger("height")).put("bitrateKbps", tier.getInteger("bitrateKbps")));
        }
        assertEquals(streams, new ArrayList<>(edge.getJsonObject("streams").fieldNames()), "edge.json streams, in tier order");
        assertEquals(expected, edge.getJsonObject("websocket").getJsonObject("tiers"), "edge.json websocket.tiers");
    }

    @Test
    void shouldFindEverythingTheDockerfilesCopy() throws Exception {
        final Pattern copy = Pattern.compile("^COPY\\s+(?!--from)(.+)\\s+(\\S+)\\s*$", Pattern.MULTILINE);
        final Map<String, Set<String>> copied = new HashMap<>();
        for (final String file : List.of("Dockerfile", "containers/sim-writer/Dockerfile", "containers/ros-jazzy/Dockerfile")) {
            final String text = Files.readString(repoRoot().resolve(file));
            final Matcher m = copy.matcher(text);
            final Set<String> sources = new TreeSet<>();
            while (m.find()) {
                for (final String source : m.group(1).trim().split("\\s+")) {
                    sources.add(source);
                    assertTrue(Files.exists(repoRoot().resolve(source)), file + " copies " + source + ", which does not exist");
                }
            }
            copied.put(file, sources);
        }
        assertTrue(copied.get("Dockerfile").containsAll(Set.of("pom.xml", "shm-worker/src", "verticles/src")), copied.toString());

        final String transport = Files.readString(repoRoot().resolve("Dockerfile"));
        assertEquals(2, Pattern.compile("^FROM ", Pattern.MULTILINE).matcher(transport).results().count(), "multi-stage: build, then runtime");
        assertTrue(transport.contains("COPY --from=build /src/verticles/target/sdr-transport.jar"), "the runtime stage takes the fat jar");
        assertTrue(Pattern.compile("^HEALTHCHECK .*\\n?.*/health", Pattern.MULTILINE).matcher(transport).find(), "HEALTHCHECK on /health");
        assertTrue(Files.isExecutable(repoRoot().resolve("scripts/ros/run_nodes.sh")), "run_nodes.sh is executable");
    }

    // ---- what the profiles run, outside a container -------------------------------------------

    @Test
    void shouldEncodeTheSimulatorsRawPicturesWithTheSimConf() throws Exception {
        requireTool("python3", "python3");
        final int port = freePort();
        // conf/conf.sim.json as compose runs it, with the rings moved from /dev/shm/sdr_os_ipc to a temp dir.
        final JsonObject conf = new JsonObject(Files.readString(repoRoot().resolve("conf/conf.sim.json")));
        conf.getJsonObject("encoder").put("sourcePath", dir.resolve("raw").toString());
        conf.put("nats", conf.getJsonObject("nats").copy().put("enabled", false));
        try (ChildProcess writer = ChildProcess.start("sim-writer", List.of("python3", "-m", "sdr_ring", "write-raw", "--path", dir.resolve("raw").toString(),
                 "--width", "320", "--height", "240", "--format", "rgb24", "--fps", "30"),
                 Map.of("PYTHONPATH", repoRoot().resolve("shm-worker/python").toString()));
             ChildProcess server = startServer("transport-sim", port, Map.of("SDR_SHM_PATH", dir.resolve("frames").toString(),
                 "SDR_LISTEN_ADDR", "127.0.0.1:" + port, "SDR_BRIDGE_ADDR", "127.0.0.1:" + freePort()), "-conf", conf.encode())) {
            writer.awaitOutput("ready ");
            final JsonObject[] last = new JsonObject[1];
            eventually(() -> "the encoder encodes the writer's raw pictures; /health: " + last[0], () -> {
                final JsonObject health = getJson("http://127.0.0.1:" + port + "/health");
                last[0] = health;
                final JsonObject encoder = health == null ? null : health.getJsonObject("encoder");
                return encoder != null && encoder.getString("source").startsWith("ring ")
                    && encoder.getJsonObject("raw").getLong("encoded", 0L) >= 10 && health.getLong("shm_seq", 0L) >= 10;
            });
        }
    }

    @Test
    void shouldPublishDemoTelemetryToARealNatsServer() throws Exception {
        requireTool("python3", "python3");
        final int natsPort = freePort();
        try (ChildProcess nats = startNats(natsPort);
             Socket subscriber = new Socket(InetAddress.getLoopbackAddress(), natsPort)) {
            subscriber.setSoTimeout(20_000);
            final var in = new java.io.BufferedReader(new java.io.InputStreamReader(subscriber.getInputStream(), StandardCharsets.US_ASCII));
            in.readLine(); // INFO
            subscriber.getOutputStream().write("CONNECT {\"verbose\":false}\r\nSUB telemetry.> 1\r\nPING\r\n".getBytes(StandardCharsets.US_ASCII));
            assertEquals("PONG", in.readLine());
            try (ChildProcess demo = ChildProcess.start("sim-telemetry", List.of("python3", repoRoot().resolve("containers/sim-writer/telemetry_demo.py").toString(),
                "--url", "nats://127.0.0.1:" + natsPort, "--robot", "e2e", "--count", "3"), Map.of())) {
                final Set<String> subjects = new TreeSet<>();
                String pose = null;
                while (subjects.size() < 2) {
                    final String line = in.readLine();
                    assertNotNull(line, "subscription ended");
                    if (line.startsWith("MSG ")) {
                        final String subject = line.split(" ")[1];
                        subjects.add(subject);
                        final String payload = in.readLine();
                        if (subject.endsWith(".pose")) {
                            pose = payload;
                        }
                    }
                }
                assertEquals(Set.of("telemetry.e2e.battery", "telemetry.e2e.pose"), subjects);
                assertNotNull(pose);
                final JsonObject parsed = new JsonObject(pose);
                assertTrue(parsed.containsKey("x") && parsed.containsKey("yaw"), pose);
            }
        }
    }

    @Test
    void shouldRunTheConfiguredRosCommandsAndStayUp() throws Exception {
        final Path script = repoRoot().resolve("scripts/ros/run_nodes.sh");
        try (ChildProcess ros = ChildProcess.start("run-nodes", List.of("bash", script.toString()),
            Map.of("ROS_ENABLE_ROSBRIDGE", "0", "ROS_NODE_COMMANDS", " echo node-a-ran ; echo node-b-ran;"))) {
            ros.awaitOutput("node-a-ran");
            ros.awaitOutput("node-b-ran");
            ros.awaitOutput("Container will stay alive");
            Thread.sleep(300);
            assertTrue(ros.process.isAlive(), "the container's main process stays up:\n" + ros.tail());
        }
    }
}
