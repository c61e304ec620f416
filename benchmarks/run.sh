#!/usr/bin/env bash
# Runs the ring reader benchmarks and prints a table (frame size, variant, ns/frame, GB/s, % of copy).
#
#   mvn -B -Pbench package -DskipTests          # from the repo root, builds benchmarks/target/benchmarks.jar
#   benchmarks/run.sh                           # default run (3 x 1 s warmup, 5 x 1 s measurement, 1 fork)
#   benchmarks/run.sh -wi 5 -i 10               # any extra JMH options are passed through
#   PATTERN='RingReaderBenchmark.v2' benchmarks/run.sh -p frameSize=51200   # a subset
#   benchmarks/run.sh --table [--stat mean|median|min] a.json [b.json ...]
#                                               # only print the table of earlier runs (pooled)
#
# RESULTS=path overrides where the JMH JSON goes (default benchmarks/target/ring-results.json);
# PATTERN=regex selects benchmarks (default io.sdr.bench.RingReaderBenchmark, i.e. all);
# STAT=median|min prints the table with that statistic of the measured iterations (default mean).
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
jar="$here/target/benchmarks.jar"
if [[ ! -f "$jar" ]]; then
  echo "missing $jar: build it first with: mvn -B -Pbench package -DskipTests (from the repo root)" >&2
  exit 1
fi
if [[ "${1:-}" == "--table" ]]; then
  shift
  [[ $# -gt 0 ]] || { echo "usage: run.sh --table [--stat mean|median|min] results.json..." >&2; exit 2; }
  exec java -cp "$jar" io.sdr.bench.RingBenchTable "$@"
fi
results="${RESULTS:-$here/target/ring-results.json}"
java -jar "$jar" "${PATTERN:-io.sdr.bench.RingReaderBenchmark}" -rf json -rff "$results" "$@"
echo
echo "JMH results: $results"
echo
java -cp "$jar" io.sdr.bench.RingBenchTable --stat "${STAT:-mean}" "$results"
