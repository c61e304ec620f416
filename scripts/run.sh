#!/usr/bin/env bash
# Builds the fat jar and runs the transport server on conf/conf.json. The default configuration
# encodes a moving test pattern in process (FFmpeg: NVENC when an NVIDIA driver is present, else
# libx264) into the ring, so the stream is live with no simulator and no GPU. Ctrl-C stops it.
set -euo pipefail
cd "$(dirname "$0")/.."
mvn -B -q package -DskipTests
listen="${SDR_LISTEN_ADDR:-0.0.0.0:8080}"
port="${listen##*:}"
echo "when ready: python3 scripts/ws_probe.py ws://127.0.0.1:${port}/stream/ws --count 5   |   curl -s 127.0.0.1:${port}/health" >&2
# Frame buffers are direct memory freed by a GC; the cap makes the JVM collect them before RSS grows (docs/BENCHMARKS.md).
exec java -jar verticles/target/sdr-transport.jar -conf conf/conf.json
