#!/usr/bin/env bash
# Every test of the project: installs what the tests need when missing (python3; ffmpeg for the
# ffprobe that judges encoded video), runs the Python ring package's tests, then the Maven build
# with all Java, cross-language and end-to-end tests.
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/ensure-tools.sh python3:python3 ffprobe:ffmpeg
python3 -m unittest discover -s shm-worker/python/tests -t shm-worker/python
mvn -B verify
