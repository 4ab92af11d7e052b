#!/usr/bin/env bash
# Measures VictoriaLogs as the events backend on this machine: starts VictoriaLogs (bin/, from
# install-backend.sh) and the collector with ingest.yaml + victorialogs.yaml, the collector on
# one core (GOMAXPROCS=1, pinned to CPU 0 with taskset when there is one), sends a known
# history with collector-config/vlsizing, then prints the collector's CPU time per event, the
# bytes VictoriaLogs stores per event, and the time of every README query. Stops everything
# and removes its data on exit.
#
#   INSTALLS=120000 bash collector-config/vlsizing.sh          # about 1 M events
#   DIRECT=1 BATCH=2048 INSTALLS=1200000 bash collector-config/vlsizing.sh
#                                   # 10 M, straight to VictoriaLogs in batches like the collector's
set -euo pipefail

root="$(cd "$(dirname "$0")/.." && pwd)"
cd "$root"
installs="${INSTALLS:-120000}"
days="${DAYS:-60}"
work="${WORK:-$(mktemp -d)}"
vlport="${VLPORT:-19428}" port="${PORT:-14319}"
collector_bin="${WAYMARK_COLLECTOR:-bin/otelcol-waymark}"

[[ -x bin/victoria-logs ]] || bash collector-config/install-backend.sh victorialogs
pids=()
cleanup() {
	for p in "${pids[@]}"; do kill -TERM "$p" 2>/dev/null && wait "$p" 2>/dev/null || true; done
	[[ -n "${KEEP:-}" ]] || rm -rf "$work"
}
trap cleanup EXIT INT TERM
mkdir -p "$work"
go build -o "$work/vlsizing" ./collector-config/vlsizing

wait_port() { for _ in $(seq 1 200); do (: </dev/tcp/127.0.0.1/"$1") 2>/dev/null && return; sleep 0.1; done; echo "port $1 never opened" >&2; exit 1; }

bin/victoria-logs -httpListenAddr="127.0.0.1:$vlport" -storageDataPath="$work/vl" -retentionPeriod=400d \
	-loggerLevel=ERROR >"$work/vl.log" 2>&1 &
pids+=($!)
wait_port "$vlport"

if [[ -n "${DIRECT:-}" ]]; then
	target="http://127.0.0.1:$vlport/insert/opentelemetry/v1/logs"
	collector=
else
	pin=()
	command -v taskset >/dev/null && [[ "$(nproc)" -ge 2 ]] && pin=(taskset -c 0)
	GOMAXPROCS=1 WAYMARK_OTLP_HTTP_ENDPOINT="127.0.0.1:$port" WAYMARK_DATA_DIR="$work/files" \
		WAYMARK_VICTORIALOGS_URL="http://127.0.0.1:$vlport" \
		"${pin[@]}" "$collector_bin" --config collector-config/ingest.yaml --config collector-config/victorialogs.yaml >"$work/collector.log" 2>&1 &
	collector=$!
	pids+=("$collector")
	wait_port "$port"
	target="http://127.0.0.1:$port/v1/logs"
fi
cpu_ticks() { [[ -n "$1" && -r /proc/$1/stat ]] && awk '{print $14 + $15}' "/proc/$1/stat" || echo 0; }

echo "history: $installs installs over $days days; sending to $target"
c0="$(cpu_ticks "$collector")" v0="$(cpu_ticks "${pids[0]}")"
"$work/vlsizing" -installs "$installs" -days "$days" -send "$target" -victorialogs "http://127.0.0.1:$vlport" -repeat 0 \
	-batch "${BATCH:-0}" | tee "$work/out"
c1="$(cpu_ticks "$collector")" v1="$(cpu_ticks "${pids[0]}")"
events="$(awk '/^sent/ {print $2}' "$work/out")"
hz="$(getconf CLK_TCK)"
[[ -z "$collector" ]] || awk -v e="$events" -v t="$((c1 - c0))" -v hz="$hz" \
	'BEGIN { printf "collector CPU: %.1f s for %d events: %.0f events per CPU-second\n", t / hz, e, e / (t / hz) }'
awk -v e="$events" -v t="$((v1 - v0))" -v hz="$hz" \
	'BEGIN { printf "VictoriaLogs CPU while ingesting: %.1f s: %.0f events per CPU-second\n", t / hz, e / (t / hz) }'
curl -fsS "http://127.0.0.1:$vlport/internal/force_flush" >/dev/null || true
sleep 2
bytes="$(du -sb "$work/vl" | cut -f1)"
awk -v b="$bytes" -v e="$events" 'BEGIN { printf "VictoriaLogs on disk: %.1f MB, %.1f bytes per event\n", b / 1e6, b / e }'
[[ -z "$collector" ]] || echo "collector files: $(du -sb "$work/files" | awk '{printf "%.1f MB", $1 / 1e6}')"
"$work/vlsizing" -installs "$installs" -days "$days" -victorialogs "http://127.0.0.1:$vlport" -expect "$events" -repeat "${REPEAT:-5}" \
	-cpu-pid "${pids[0]}"
