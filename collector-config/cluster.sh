#!/usr/bin/env bash
# Runs Waymark's events path past one machine, on loopback: VictoriaLogs as a cluster (two
# storage nodes and one insert/select front, all the same bin/victoria-logs) fed by two
# collectors (ingest.yaml + victorialogs.yaml) behind nginx as a round-robin front door
# (cluster/nginx.conf). Runs in the foreground until interrupted, then stops everything.
#
#   bash collector-config/cluster.sh        # after make collector and install-backend.sh
#
# Send OTLP to http://127.0.0.1:$DOOR/v1/logs; query http://127.0.0.1:$FRONT/select/logsql/query.
# On real machines each storage node, the front (or separate insert and select fronts with
# -select.disable / -insert.disable) and each collector run on their own hosts; see README.md.
set -euo pipefail

root="$(cd "$(dirname "$0")/.." && pwd)"
cd "$root"
door="${DOOR:-8080}" front="${FRONT:-9428}" s1="${STORAGE1:-9491}" s2="${STORAGE2:-9492}" c1="${COLLECTOR1:-4318}" c2="${COLLECTOR2:-4319}"
work="${WORK:-$(mktemp -d)}"
collector_bin="${WAYMARK_COLLECTOR:-bin/otelcol-waymark}"
nginx_bin="$(command -v nginx || echo /usr/sbin/nginx)"
[[ -x "$collector_bin" ]] || { echo "$collector_bin missing: run make collector" >&2; exit 1; }
[[ -x bin/victoria-logs ]] || bash collector-config/install-backend.sh victorialogs
[[ -x "$nginx_bin" ]] || { echo "nginx missing: apt-get install -y nginx" >&2; exit 1; }

pids=()
cleanup() {
	for p in "${pids[@]}"; do kill -TERM "$p" 2>/dev/null || true; done
	wait 2>/dev/null || true
	echo "stopped; data left in $work"
}
trap cleanup EXIT INT TERM
wait_port() { for _ in $(seq 1 200); do (: </dev/tcp/127.0.0.1/"$1") 2>/dev/null && return; sleep 0.1; done; echo "port $1 never opened" >&2; exit 1; }

# Storage nodes: each keeps its share of the data for 400 days, like the collector's files.
for p in "$s1" "$s2"; do
	bin/victoria-logs -httpListenAddr="127.0.0.1:$p" -storageDataPath="$work/storage-$p" -retentionPeriod=400d \
		-loggerLevel=WARN >"$work/storage-$p.log" 2>&1 &
	pids+=($!)
done
# The front: inserts are spread over the storage nodes, queries go to all of them and merge.
bin/victoria-logs -httpListenAddr="127.0.0.1:$front" -storageDataPath="$work/front" \
	-storageNode="127.0.0.1:$s1,127.0.0.1:$s2" -loggerLevel=WARN >"$work/front.log" 2>&1 &
pids+=($!)
for p in "$s1" "$s2" "$front"; do wait_port "$p"; done

for p in "$c1" "$c2"; do
	WAYMARK_OTLP_HTTP_ENDPOINT="127.0.0.1:$p" WAYMARK_DATA_DIR="$work/files-$p" \
		WAYMARK_VICTORIALOGS_URL="http://127.0.0.1:$front" \
		"$collector_bin" --config collector-config/ingest.yaml --config collector-config/victorialogs.yaml \
		>"$work/collector-$p.log" 2>&1 &
	pids+=($!)
done
for p in "$c1" "$c2"; do wait_port "$p"; done

mkdir -p "$work/nginx"
sed -e "s|@PREFIX@|$work/nginx|g" -e "s|@LISTEN@|127.0.0.1:$door|" \
	-e "s|@COLLECTOR_1@|127.0.0.1:$c1|" -e "s|@COLLECTOR_2@|127.0.0.1:$c2|" \
	collector-config/cluster/nginx.conf >"$work/nginx/nginx.conf"
"$nginx_bin" -p "$work/nginx" -c "$work/nginx/nginx.conf" -e "$work/nginx/error.log" -g 'daemon off;' &
pids+=($!)
wait_port "$door"

cat <<INFO
front door (OTLP/HTTP):  http://127.0.0.1:$door/v1/logs   (collectors on $c1 and $c2)
VictoriaLogs (LogsQL):    http://127.0.0.1:$front/select/logsql/query   (storage nodes on $s1 and $s2)
data and logs:            $work
Try: go run ./collector-config/vlsizing -installs 1000 -send http://127.0.0.1:$door/v1/logs -victorialogs http://127.0.0.1:$front
Ctrl-C (or SIGTERM) stops everything.
INFO
wait
