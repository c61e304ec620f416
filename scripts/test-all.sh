#!/usr/bin/env bash
# Every test of the project: installs what the tests need when missing (python3; ffmpeg for the
# ffprobe that judges encoded video; nats-server for the telemetry tests; caddy, docker-compose,
# chromium and node/npm for the deployment and browser tests, with playwright-core from npm, never a
# downloaded browser; prometheus for the promtool that checks the obs profile's config), runs the
# Python ring package's tests, then the Maven build with all Java, cross-language and end-to-end tests.
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/ensure-tools.sh python3:python3 ffprobe:ffmpeg nats-server:nats-server \
  caddy:caddy docker-compose:docker-compose chromium:chromium node:nodejs npm:npm promtool:prometheus
(cd tests/e2e && PLAYWRIGHT_SKIP_BROWSER_DOWNLOAD=1 npm ci --no-audit --no-fund)
python3 -m unittest discover -s shm-worker/python/tests -t shm-worker/python
mvn -B verify
