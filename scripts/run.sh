#!/usr/bin/env bash
# Builds the fat jar and runs the transport server on conf/conf.json, with the Python demo writer
# filling the ring (synthetic frames with a checkable pattern, 60 fps, keyframe every 30) so the
# stream is live without a simulator. Ctrl-C stops both.
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/ensure-tools.sh python3:python3
mvn -B -q package -DskipTests
ring="${SDR_SHM_PATH:-/dev/shm/sdr_os_ipc/frames}"
PYTHONPATH=shm-worker/python python3 -m sdr_ring write --layout v2 --path "$ring" \
  --fps 60 --size 20000 --size-jitter 10000 --gop 30 --frames 0 &
writer=$!
trap 'kill $writer 2>/dev/null || true' EXIT
echo "demo writer (pid $writer) -> $ring; try: python3 scripts/ws_probe.py ws://127.0.0.1:8080/stream/ws --count 5" >&2
SDR_SHM_PATH="$ring" java -jar verticles/target/sdr-transport.jar -conf conf/conf.json
