#!/usr/bin/env bash
# Runs the load scenarios of docs/BENCHMARKS.md one after another, each bounded (<= ~2 min, the
# soak <= ~11 min), writing one JSON per scenario into $OUT and printing each table.
#
#   loadtest/scenarios.sh                  # every scenario except the soak (~28 min)
#   loadtest/scenarios.sh all              # every scenario, the 10-minute soak included (~39 min), then "report"
#   loadtest/scenarios.sh peer             # the three peer comparisons (ours against the Node ws relay, ~9 min), then "report"
#   loadtest/scenarios.sh edges            # edges over NATS: the hop, bytes per frame per edge, origin CPU (~2 min)
#   loadtest/scenarios.sh tiers            # narrow links with quality tiers against main only (~3 min)
#   loadtest/scenarios.sh clips            # viewers while 30 s clips are taken every 2 s, against no clips (~3 min)
#   loadtest/scenarios.sh peer-smoke       # a 5-client, 1-round peer run that must succeed (exit 1 otherwise, ~20 s)
#   loadtest/scenarios.sh 150k stalled     # some of them
#   loadtest/scenarios.sh soak             # the 10-minute soak (SOAK_S=600 by default)
#   loadtest/scenarios.sh report           # only $OUT/tables.md: the BENCHMARKS.md tables from the JSON in $OUT
#
# Before each run it waits (up to 10 minutes, polling every minute) for the 1-minute load average
# to drop below MAX_LOAD (default 1.0) and the hypervisor's steal to be at most MAX_STEAL % (2); if
# that never happens it runs anyway (MAX_LOAD=100 MAX_STEAL=100 RETRY_STEAL=100: no waiting, no retries): every result records the load average at the start of its
# window and the machine's CPU split (steal included) over it. Needs: the fat jar (mvn -B -q package -DskipTests) and
# the tool (mvn -B -q -Pbench package -DskipTests); iperf3 for the "iperf3" scenario; node and npm for the
# peer scenarios (the tool runs `npm ci` in loadtest/peer when its node_modules is missing).
set -euo pipefail
cd "$(dirname "$0")/.."

JAR=${JAR:-loadtest/target/sdr-load.jar}
SERVER_JAR=${SERVER_JAR:-verticles/target/sdr-transport.jar}
OUT=${OUT:-/tmp/sdr-load-results}
MAX_LOAD=${MAX_LOAD:-1.0}
MAX_STEAL=${MAX_STEAL:-2}
RETRY_STEAL=${RETRY_STEAL:-0.05}
SOAK_S=${SOAK_S:-600}
# Server settings for the runs marked "tuned" (see BENCHMARKS.md: a stalled viewer's queue).
TUNED=${TUNED:-'{"websocket":{"sendBufferBytes":16384,"maxQueuedFrames":2}}'}
SMALL=${SMALL:-'{"websocket":{"sendBufferBytes":4096,"maxQueuedFrames":2}}'}
PACED='{"poller":{"paced":true}}'
# Extra JVM options for the server (none by default, as in scripts/run.sh: frame memory is pooled and
# reference counted, so no direct-memory cap is needed; an empty value adds nothing).
SERVER_JVM_OPT=${SERVER_JVM_OPT:-}
# Peer runs (--peer node): rounds of one leg of ours then one of the relay, each leg with its own process,
# warm-up (our JIT settles in it) and window. Short for development; longer windows and more rounds for the record.
PEER_ROUNDS=${PEER_ROUNDS:-2}
PEER_S=${PEER_S:-15}
PEER_WARM=${PEER_WARM:-20}
mkdir -p "$OUT"

# Percent of CPU time stolen by the hypervisor over 5 s (/proc/stat): on a shared VM host the
# vCPUs can be descheduled for milliseconds, which no load average shows.
steal_percent() {
  local a b
  a=($(head -1 /proc/stat)); sleep 5; b=($(head -1 /proc/stat))
  local total=0 i
  for i in 1 2 3 4 5 6 7 8; do total=$((total + b[i] - a[i])); done
  echo $(( total > 0 ? 100 * (b[8] - a[8]) / total : 0 ))
}

wait_for_quiet() {
  for _ in $(seq 10); do
    load=$(cut -d' ' -f1 /proc/loadavg)
    steal=$(steal_percent)
    if awk -v l="$load" -v m="$MAX_LOAD" -v s="$steal" -v ms="$MAX_STEAL" 'BEGIN { exit !(l < m && s <= ms) }'; then
      return 0
    fi
    echo "load average $load (max $MAX_LOAD), steal ${steal}% (max ${MAX_STEAL}%): waiting a minute" >&2
    sleep 55
  done
  echo "load average still $(cut -d' ' -f1 /proc/loadavg), steal $(steal_percent)%: running anyway" >&2
}

load() { # NAME ARGS...: one run of the tool; again (3 tries at most) if the hypervisor stole > RETRY_STEAL cores
  local name=$1; shift
  local try steal
  for try in 1 2 3; do
    wait_for_quiet
    echo "== $name (try $try): java -jar $JAR $*" >&2
    # A failed run (error in its JSON, exit 1) is recorded and reported; the other scenarios still run.
    java -jar "$JAR" --server-jar "$SERVER_JAR" --server-jvm-opt="$SERVER_JVM_OPT" --label "$name" --json-file "$OUT/$name.json" "$@" \
      || echo "$name: the run reported an error (see $OUT/$name.json)" >&2
    steal=$(grep -o '"steal" : [0-9.]*' "$OUT/$name.json" | grep -o '[0-9.]*$' || echo 0)
    if awk -v s="$steal" -v m="$RETRY_STEAL" 'BEGIN { exit !(s <= m) }'; then return 0; fi
    echo "$name: the hypervisor stole $steal cores during the window: again" >&2
  done
}

# 1080p60-sized frames at ~6 Mbit/s: P-frames 11 000 B, a keyframe of 88 000 B every 60 frames.
P1080="--fps 60 --frame-bytes 11000 --keyframe-bytes 88000 --gop 60"
# 720p30-sized frames at ~2.4 Mbit/s: P-frames 8 000 B, a keyframe of 64 000 B every 30 frames.
P720="--fps 30 --frame-bytes 8000 --keyframe-bytes 64000 --gop 30"
# Warm-up long enough for the server's JIT to settle (C2 still compiles for ~20-30 s under load).
WARM="--warmup 30"

scenario() {
  case "$1" in
    idle)         load idle --clients 0 --fps 0 --duration 30 --warmup 30 ;;
    # 20 more viewers join one by one during the window (warm server, flowing stream): the join time.
    1080p60)      load 1080p60-100 --clients 100 --joiners 20 $P1080 --duration 30 $WARM ;;
    720p30)       load 720p30-1000 --clients 1000 $P720 --duration 30 $WARM --connect-rate 200 ;;
    # 10 of 100 stop reading for the whole window (the k-th resumes at 3k s): the healthy 90 against 1080p60.
    stalled)      load stalled-100-10 --clients 100 --stalled 10 $P1080 --duration 30 $WARM ;;
    # What a stalled viewer finds queued when it reads again after 0.4..4 s; its own receive buffer
    # is 4 KiB, so what it finds was queued by the server (app queue + kernel send buffer).
    stale)        load stale-100-10 --clients 100 --stalled 10 --stalled-rcvbuf 4096 $P1080 --duration 4 $WARM ;;
    stale-tuned)  load stale-100-10-tuned --clients 100 --stalled 10 --stalled-rcvbuf 4096 $P1080 --duration 4 $WARM \
                    --server-conf "$TUNED" ;;
    # The same with a 4 KiB kernel send buffer: at most ~1 frame of 11 KB sits in the kernel for a stalled viewer.
    stale-4k)     load stale-100-10-4k --clients 100 --stalled 10 --stalled-rcvbuf 4096 $P1080 --duration 4 $WARM \
                    --server-conf "$SMALL" ;;
    slow)         load slow-100-10 --clients 100 --slow 10 $P1080 --duration 30 $WARM ;;
    # The ring poller paced to the frame interval (poller.paced, off by default): A/B against 1080p60 and 150k.
    1080p60-paced) load 1080p60-100-paced --clients 100 --joiners 20 $P1080 --duration 20 --warmup 20 --server-conf "$PACED" ;;
    150k-paced)   load 150k-100-paced --clients 100 --fps 60 --frame-bytes 150000 --gop 60 --duration 20 --warmup 20 \
                    --server-conf "$PACED" ;;
    150k)         load 150k-100 --clients 100 --fps 60 --frame-bytes 150000 --gop 60 --duration 30 $WARM ;;
    # Max rate: 150 KB frames to 100 clients at 150 fps (2.25 GB/s offered) and 200 fps (3 GB/s).
    maxrate-150)  load maxrate-150 --clients 100 --fps 150 --frame-bytes 150000 --gop 60 --duration 20 $WARM ;;
    maxrate)      load maxrate-200 --clients 100 --fps 200 --frame-bytes 150000 --gop 60 --duration 20 $WARM ;;
    iperf3)
      wait_for_quiet
      port=$((20000 + RANDOM % 20000))
      iperf3 -s -1 -B 127.0.0.1 -p "$port" >/dev/null &
      sleep 1
      iperf3 -c 127.0.0.1 -p "$port" -t 10 | tee "$OUT/iperf3.txt"
      wait ;;
    # 500 viewers of the 1080p60 stream for 45 s: RSS sampled every 2 s (target <= 1 GiB).
    rss500)       load rss500 --clients 500 $P1080 --duration 45 --warmup 20 --sample-ms 2000 ;;
    # The same 500 for SOAK_S (600) s, RSS sampled every 10 s: the table prints the series and the
    # least-squares slope over the second half (flat: well under 1 MB/min).
    soak)         load soak-500 --clients 500 $P1080 --duration "$SOAK_S" $WARM --sample-ms 10000 ;;
    # Peer comparison (issue 13): our server against the Node ws relay of loadtest/peer, same frames and
    # clients, alternating legs; the JSON's summary holds the our/relay ratios (median and range over rounds).
    peer-11k)     load peer-11k-100 --peer node --rounds "$PEER_ROUNDS" --clients 100 $P1080 --duration "$PEER_S" --warmup "$PEER_WARM" ;;
    peer-150k)    load peer-150k-100 --peer node --rounds "$PEER_ROUNDS" --clients 100 --fps 60 --frame-bytes 150000 --gop 60 \
                    --duration "$PEER_S" --warmup "$PEER_WARM" ;;
    peer-1000)    load peer-8k-1000 --peer node --rounds "$PEER_ROUNDS" --clients 1000 $P720 --connect-rate 200 \
                    --duration "$PEER_S" --warmup "$PEER_WARM" ;;
    # Edges over NATS (issue 16): alternating legs of the origin alone and the origin with 2 edges, 20 viewers
    # on the origin and on each edge, 150 KB frames (300 KB keyframes) at 60 fps: the hop, bytes per frame per edge, origin CPU.
    edges)        load edge-150k-2x20 --edges 2 --rounds 3 --clients 20 --fps 60 --frame-bytes 150000 --keyframe-bytes 300000 \
                    --gop 60 --duration 10 --warmup 5 ;;
    # Narrow links (issue 20): three tier rings (720p30-sized frames, then 24 % and 6 % of them), 20 healthy viewers and
    # 4 per narrow class reading at 25/50/100 % of the top tier's rate with a 16 KiB receive buffer; alternating legs of
    # tiers on (adaptive) and main only (top tier pinned): per class the oldest frame per second, frame rate, tier settled on.
    tiers)        load tiers-720p30 --tiers --rounds 3 --clients 20 --narrow 4 $P720 --duration 10 --warmup 5 ;;
    # Recording (issue 18): 20 viewers of 150 KB x 60 fps; alternating legs of no clips and a 30 s clip
    # (GET /record/clip, read to its end) every 2 s: the viewers' p50/p99 and frame rate with clips against without.
    clips)        load clips-150k-20 --clips --rounds 3 --clients 20 --fps 60 --frame-bytes 150000 --keyframe-bytes 300000 \
                    --gop 60 --duration 10 --warmup 5 ;;
    # Proof that peer mode works end to end: both legs must run, deliver frames and give a CPU ratio.
    # Not through load(): a failure here fails the script.
    peer-smoke)
      java -jar "$JAR" --server-jar "$SERVER_JAR" --server-jvm-opt="$SERVER_JVM_OPT" --label peer-smoke \
        --json-file "$OUT/peer-smoke.json" --peer node --rounds 1 --clients 5 --fps 30 --frame-bytes 2000 \
        --keyframe-bytes 8000 --gop 30 --duration 3 --warmup 1
      java -jar "$JAR" --markdown "$OUT/peer-smoke.json" > "$OUT/peer-smoke.md"
      if ! grep -Eq '^\| peer-smoke: .*\| server CPU \(cores\) \| [0-9.]+ \| [0-9.]+ \| [0-9.]+ \|' "$OUT/peer-smoke.md"; then
        echo "peer-smoke: no CPU ratio in $OUT/peer-smoke.md" >&2
        return 1
      fi
      echo "peer-smoke: ok ($OUT/peer-smoke.md)" >&2 ;;
    # The markdown tables of docs/BENCHMARKS.md (and the targets met) from every result in $OUT.
    report)
      java -jar "$JAR" --markdown "$OUT"/*.json $( [ -f "$OUT/iperf3.txt" ] && echo "$OUT/iperf3.txt" ) > "$OUT/tables.md"
      echo "tables: $OUT/tables.md" >&2 ;;
    *) echo "unknown scenario: $1" >&2; return 2 ;;
  esac
}

PEER="peer-11k peer-150k peer-1000"
ALL="idle 1080p60 1080p60-paced 720p30 stalled stale stale-tuned stale-4k slow 150k 150k-paced iperf3 maxrate-150 maxrate rss500 $PEER"
if [ $# -eq 0 ]; then
  set -- $ALL report
elif [ "$1" = all ]; then
  set -- $ALL soak report
elif [ "$1" = peer ] && [ $# -eq 1 ]; then
  set -- $PEER report
fi
for s in "$@"; do scenario "$s"; done
