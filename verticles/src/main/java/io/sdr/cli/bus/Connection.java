package io.sdr.cli.bus;

import io.sdr.cli.CliException;

import io.sdr.busbridge.BridgeConfig;
import picocli.CommandLine.Option;

/** {@code --host}, {@code --port}, {@code --timeout}: where the server's event-bus bridge is. */
public final class Connection {
    @Option(names = "--host", paramLabel = "HOST",
        description = "bridge host (default: the host of SDR_BRIDGE_ADDR, else " + BridgeConfig.DEFAULT_HOST + ")")
    String host;

    @Option(names = "--port", paramLabel = "PORT",
        description = "bridge port (default: the port of SDR_BRIDGE_ADDR, else " + BridgeConfig.DEFAULT_PORT + ")")
    Integer port;

    @Option(names = "--timeout", paramLabel = "MS", defaultValue = "5000",
        description = "connect and reply timeout in milliseconds (default ${DEFAULT-VALUE})")
    int timeoutMs;

    BridgeClient connect() {
        String defaultHost = BridgeConfig.DEFAULT_HOST;
        int defaultPort = BridgeConfig.DEFAULT_PORT;
        final String env = System.getenv("SDR_BRIDGE_ADDR");
        if (env != null && env.lastIndexOf(':') > 0) {
            final int colon = env.lastIndexOf(':');
            defaultHost = env.substring(0, colon).replace("[", "").replace("]", "");
            if (defaultHost.equals("0.0.0.0") || defaultHost.equals("::")) {
                defaultHost = BridgeConfig.DEFAULT_HOST;
            }
            try {
                defaultPort = Integer.parseInt(env.substring(colon + 1));
            } catch (final NumberFormatException e) {
                throw new CliException("SDR_BRIDGE_ADDR=\"" + env + "\": must be HOST:PORT");
            }
        }
        final int actualPort = port != null ? port : defaultPort;
        if (actualPort < 1 || actualPort > 65535) {
            throw new CliException("--port=" + actualPort + ": must be in [1, 65535]");
        }
        if (timeoutMs < 1) {
            throw new CliException("--timeout=" + timeoutMs + ": must be at least 1 ms");
        }
        return BridgeClient.connect(host != null ? host : defaultHost, actualPort, timeoutMs);
    }
}
