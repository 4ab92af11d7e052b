#!/usr/bin/env bash
# Measures events per second per collector core: starts bin/otelcol-waymark with ingest.yaml on
# 127.0.0.1, limited to one core (GOMAXPROCS=1, and pinned to CPU 0 with taskset when there
# is one), drives it from the load generator on the other cores, prints every run and the
# median, and stops the collector. Bounded: RUNS runs of DURATION each (defaults 5 × 10s).
# CONFIGS (space-separated, default collector-config/ingest.yaml) names the configuration
# files, e.g. an older ingest.yaml to compare with in the same session.
#
#   bash collector-config/loadtest.sh            # after `make collector`
#   CONFIGS=/tmp/old-ingest.yaml bash collector-config/loadtest.sh
set -euo pipefail

root="$(cd "$(dirname "$0")/.." && pwd)"
cd "$root"
runs="${RUNS:-5}"
duration="${DURATION:-10s}"
clients="${CLIENTS:-8}"
port="${PORT:-14318}"
metrics_port="${METRICS_PORT:-18888}"
config_args=()
for c in ${CONFIGS:-collector-config/ingest.yaml}; do
	config_args+=(--config "$c")
done

[[ -x bin/otelcol-waymark ]] || { echo "bin/otelcol-waymark missing: run make collector" >&2; exit 1; }
work="$(mktemp -d)"
collector=""
cleanup() {
	[[ -n "$collector" ]] && kill -TERM "$collector" 2>/dev/null && wait "$collector" 2>/dev/null
	rm -rf "$work"
}
trap cleanup EXIT INT TERM

go build -o "$work/loadgen" ./collector-config/loadgen

pin_collector=() pin_load=()
if command -v taskset >/dev/null && [[ "$(nproc)" -ge 2 ]]; then
	pin_collector=(taskset -c 0)
	pin_load=(taskset -c "1-$(($(nproc) - 1))")
fi

GOMAXPROCS=1 WAYMARK_OTLP_HTTP_ENDPOINT="127.0.0.1:$port" WAYMARK_DATA_DIR="$work/data" \
	WAYMARK_TELEMETRY_PORT="$metrics_port" \
	"${pin_collector[@]}" bin/otelcol-waymark "${config_args[@]}" >"$work/collector.log" 2>&1 &
collector=$!
for _ in $(seq 1 100); do
	(: </dev/tcp/127.0.0.1/"$port") 2>/dev/null && break
	sleep 0.1
done

# CPU time the collector used (user+system, in clock ticks), from /proc on Linux.
cpu_ticks() { [[ -r /proc/$collector/stat ]] && awk '{print $14 + $15}' "/proc/$collector/stat" || echo 0; }

echo "configuration: ${CONFIGS:-collector-config/ingest.yaml}"
echo "collector: 1 core (GOMAXPROCS=1${pin_collector:+, CPU 0}); load: $clients clients, $runs × $duration"
before="$(cpu_ticks)"
"${pin_load[@]}" "$work/loadgen" -endpoint "http://127.0.0.1:$port" -duration "$duration" -runs "$runs" -clients "$clients" | tee "$work/out"
after="$(cpu_ticks)"
# Events per CPU-second of the collector: what one core sustains, even when other work on a
# shared machine keeps the collector from having its core to itself.
events="$(awk '/^total:/ {print $2}' "$work/out")"
if [[ "$after" -gt "$before" ]]; then
	awk -v e="$events" -v t="$((after - before))" -v hz="$(getconf CLK_TCK)" \
		'BEGIN { printf "collector CPU: %.1f s for %d events: %.0f events per CPU-second\n", t / hz, e, e / (t / hz) }'
fi
echo "stored: $(du -sh "$work/data" | cut -f1) in $work/data (removed on exit)"
