#!/usr/bin/env bash
# Waymark end to end on this machine, in about a minute (plus the collector's first build):
#
#   1. builds the stock collector (make collector), the example CLI `acme`, the example server
#      `acme-server` and `waymark`;
#   2. starts the collector on 127.0.0.1 with collector-config/ingest.yaml and a fresh data dir;
#   3. runs `acme` as five fresh installs (each its own HOME and state dir): all say hello, two
#      deploy, one says hello twice; runs `acme-server` for a few one-second heartbeats. The
#      server reports as product acme too, from an install of its own, so the report counts 6;
#   4. stops everything it started and prints `waymark report`.
#
# Everything lands in bin/demo/ (git-ignored): data/ holds what the collector stored, and
# report.html the charts. WAYMARK_DEMO_PORT picks the first port to try (default 4318).
set -euo pipefail

root="$(cd "$(dirname "$0")/.." && pwd)"
cd "$root"
demo="$root/bin/demo"
rm -rf "$demo"
mkdir -p "$demo/data" "$demo/homes"

pids=()
cleanup() {
	for pid in "${pids[@]}"; do
		kill -TERM "$pid" 2>/dev/null || true
	done
	for pid in "${pids[@]}"; do
		wait "$pid" 2>/dev/null || true
	done
}
trap cleanup EXIT INT TERM

step() { printf '\n== %s\n' "$*"; }

step "building the collector, acme, acme-server and waymark"
make --no-print-directory collector
go build -o "$demo/acme" ./examples/cli
go build -o "$demo/acme-server" ./examples/server
go build -o "$demo/waymark" ./cmd/waymark

# The first port from WAYMARK_DEMO_PORT up that nobody answers on.
port="${WAYMARK_DEMO_PORT:-4318}"
while (: </dev/tcp/127.0.0.1/"$port") 2>/dev/null; do
	port=$((port + 1))
done
endpoint="http://127.0.0.1:$port"

step "starting the collector on $endpoint (log: bin/demo/collector.log)"
WAYMARK_OTLP_HTTP_ENDPOINT="127.0.0.1:$port" WAYMARK_DATA_DIR="$demo/data" \
	bin/otelcol-waymark --config collector-config/ingest.yaml >"$demo/collector.log" 2>&1 &
pids+=($!)
for _ in $(seq 1 100); do
	if (: </dev/tcp/127.0.0.1/"$port") 2>/dev/null; then break; fi
	if ! kill -0 "${pids[0]}" 2>/dev/null; then
		echo "the collector exited:" >&2
		cat "$demo/collector.log" >&2
		exit 1
	fi
	sleep 0.2
done

# The environment of a fresh install: its own home and state dir, and nothing else from this
# environment (CI=true or DO_NOT_TRACK would rightly turn telemetry off). Sets the array fresh.
fresh_install() {
	local home="$demo/homes/$1"
	mkdir -p "$home"
	fresh=(env -i PATH="$PATH" HOME="$home" ACME_TELEMETRY_ENDPOINT="$endpoint"
		ACME_TELEMETRY_DIR="$home/acme-telemetry")
}
as_install() {
	fresh_install "$1"
	shift
	"${fresh[@]}" "$@"
}

step "acme-server: heartbeats every second (product acme, an install of its own)"
fresh_install server
# A simple command, so that $! is acme-server itself (env execs it) and SIGTERM reaches it.
"${fresh[@]}" "$demo/acme-server" --heartbeat 1s >"$demo/server.log" 2>&1 &
server=$!
pids+=("$server")

step "five fresh installs of acme (with acme-server's, the report will count 6 installs)"
for i in 1 2 3 4 5; do
	printf 'install %s: ' "$i"
	as_install "cli-$i" "$demo/acme" hello
	if [[ $i -le 2 ]]; then
		printf 'install %s: ' "$i"
		as_install "cli-$i" "$demo/acme" deploy
	fi
	if [[ $i -eq 3 ]]; then
		printf 'install %s again: ' "$i"
		as_install "cli-$i" "$demo/acme" hello
	fi
done

step "waiting for the 6 installs' uploads (a CLI uploads from a detached child after it exits)"
for _ in $(seq 1 60); do
	if "$demo/waymark" report --json "$demo/data" 2>/dev/null | grep -q '"installs_30d": 6'; then
		break
	fi
	sleep 0.5
done

step "stopping acme-server (SIGTERM: it flushes and exits 0)"
kill -TERM "$server"
if wait "$server"; then echo "acme-server exited 0"; else echo "acme-server exited $?" >&2; fi

step "waymark report --funnel first_run,first_deploy bin/demo/data"
"$demo/waymark" report --funnel first_run,first_deploy --html "$demo/report.html" "$demo/data"
echo
echo "6 installs: the five of acme above and acme-server's own (a server counts as an install of its product)."
echo "The same report as a page with charts: bin/demo/report.html (open it in a browser)"
echo "As JSON: bin/demo/waymark report --json bin/demo/data"
