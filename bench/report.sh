#!/usr/bin/env bash
# The file report at scale: a simulated store of 60 000 installs over 60
# days (about 490 000 events, one product) and the same installs over 120 days, reported with
# `waymark report --json --now 2026-11-20`. Budgets: at most 5 s and 150 MB peak RSS for 60
# days; 120 days at most 2.2x the time and the same peak RSS +-20%. With REPORT_BASELINE=1
# (the default) the report as of commit 01ad3cc (before streaming) runs on the 60-day store
# too, and installs_30d, installs_1d, versions, os and arch must be equal.
# Knobs: REPORT_INSTALLS (60000), REPORT_BASELINE (1), REPORT_RUNS (3; medians).
set -euo pipefail
cd "$(dirname "$0")/.."
GO=${GO:-go}
INSTALLS=${REPORT_INSTALLS:-60000}
BASELINE=${REPORT_BASELINE:-1}
RUNS=${REPORT_RUNS:-3}
NOW=2026-11-20
out=$(mktemp -d "${TMPDIR:-/tmp}/waymark-report-bench.XXXXXX")
trap 'rm -rf "$out"' EXIT

$GO build -o "$out/simulate" ./collector-config/simulate
$GO build -o "$out/waymark" ./cmd/waymark
"$out/simulate" -installs "$INSTALLS" -days 60 -seed 1 -out "$out/store60"
"$out/simulate" -installs "$INSTALLS" -days 120 -seed 1 -out "$out/store120"

# measure STORE: median wall seconds, CPU seconds and peak RSS (MB) over RUNS runs.
measure() {
	local store=$1 i
	for i in $(seq "$RUNS"); do
		/usr/bin/time -f '%e %U %S %M' -o "$out/time.txt" "$out/waymark" report --json --now "$NOW" "$store" >"$out/report.json" 2>/dev/null
		awk '{printf "%s %.2f %.1f\n", $1, $2+$3, $4/1024}' "$out/time.txt"
	done | sort -g | awk '{w[NR]=$1; c[NR]=$2; m[NR]=$3} END{i=int((NR+1)/2); print w[i], c[i], m[i]}'
}
read -r w60 c60 m60 < <(measure "$out/store60")
cp "$out/report.json" "$out/new60.json"
read -r w120 c120 m120 < <(measure "$out/store120")
events60=$(grep -o '"eventName"' "$out"/store60/logs*.jsonl | wc -l)
events120=$(grep -o '"eventName"' "$out"/store120/logs*.jsonl | wc -l)
size60=$(du -sm "$out/store60" | cut -f1)
size120=$(du -sm "$out/store120" | cut -f1)

verdict() { if awk "BEGIN{exit !($1)}"; then echo PASS; else echo FAIL; fi; }
printf '60 days:  %d events (%d MB): %.2f s wall, %.2f s CPU, %.1f MB peak RSS   budget <=5 s, <=150 MB   %s\n' \
	"$events60" "$size60" "$w60" "$c60" "$m60" "$(verdict "$w60 <= 5 && $m60 <= 150")"
printf '120 days: %d events (%d MB): %.2f s wall, %.2f s CPU, %.1f MB peak RSS   time x%.2f (<=2.2), RSS x%.2f (0.8-1.2)   %s\n' \
	"$events120" "$size120" "$w120" "$c120" "$m120" "$(awk "BEGIN{print $w120/$w60}")" "$(awk "BEGIN{print $m120/$m60}")" \
	"$(verdict "$w120 <= 2.2*$w60 && $m120 >= 0.8*$m60 && $m120 <= 1.2*$m60")"

if [ "$BASELINE" = 1 ]; then
	mkdir -p "$out/base"
	git archive 01ad3cc cmd/waymark | tar -x -C "$out/base"
	printf 'module github.com/waymarkhq/waymark\n\ngo 1.26.0\n' >"$out/base/go.mod"
	(cd "$out/base" && $GO build -o "$out/waymark-base" ./cmd/waymark)
	/usr/bin/time -f '%e %U %S %M' -o "$out/time.txt" "$out/waymark-base" report --json --now "$NOW" "$out/store60" >"$out/base60.json" 2>/dev/null
	read -r bw bu bs bm <"$out/time.txt"
	printf 'former report on 60 days: %.2f s wall, %.2f s CPU, %.1f MB peak RSS\n' "$bw" "$(awk "BEGIN{print $bu+$bs}")" "$(awk "BEGIN{print $bm/1024}")"
	if $GO run ./bench/cmd/reportcmp "$out/base60.json" "$out/new60.json"; then
		echo "counts equal to the former report (installs_30d, installs_1d, versions, os, arch): PASS"
	else
		echo "counts equal to the former report: FAIL"
	fi
fi
