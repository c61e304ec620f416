#!/usr/bin/env bash
# NATS -> WebSocket relay benchmark (a measurement, not a test; see docs/NATS.md): a real
# nats-server, the fat jar as a process, a jnats publisher and K WebSocket clients in one JVM.
#
#   mvn -B -q install -DskipTests        # once, from the repo root: the fat jar and the test classes
#   scripts/nats-bench.sh                # --clients 1,10 --rates 1000,10000,50000 --seconds 5 --size 128 --subjects 50
#   scripts/nats-bench.sh --clients 1,10,50 --rates 5000 --seconds 10
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/ensure-tools.sh nats-server:nats-server
if [[ ! -f verticles/target/sdr-transport.jar || ! -d tests/target/test-classes/io/sdr/nats ]]; then
  echo "build first: mvn -B -q install -DskipTests" >&2
  exit 1
fi
cp_file="$PWD/tests/target/nats-bench.classpath"
mvn -B -q ${MVN_ARGS:-} dependency:build-classpath -pl tests -Dmdep.includeScope=test -Dmdep.outputFile="$cp_file" >/dev/null
exec java -Xmx512m -cp "tests/target/test-classes:$(cat "$cp_file")" -Dbasedir="$PWD/tests" \
  io.sdr.nats.NatsRelayBenchmark "$@"
