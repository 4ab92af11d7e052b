#!/usr/bin/env bash
# Waymark's cost benchmarks, each with its budget:
#   1. Milestone after its first call: go test -bench, budget <=100 ns/op and 0 allocs/op
#   2. linking Waymark into a net/http CLI: bench/cmd/costdriver, budgets +2.5 MB stripped, +1.5 ms start-up
#   3. exit-time cost of telemetry on vs off: bench/cmd/exitcost, budget +2 ms, and no acme process left
#   4. where a run's telemetry time goes: bench/cmd/startphases (diagnosis, no budget)
#   5. the file report at scale: bench/report.sh, budgets <=5 s and <=150 MB for 490 000 events
#   6. a spool of 100 000 entries: bench/cmd/spoolcost, budget +5 ms on a run
#   7. first run (fresh HOME) on vs off, acmectl and a real cobra CLI (yq): bench/cmd/firstrun, budget +5 ms
# Each step prints PASS/FAIL per budget; the script runs every step and exits 1 if any budget failed.
# Knobs: BENCH_COUNT (5), COST_RUNS (200), COST_WARMUP (20), INIT_RUNS (25), EXIT_PAIRS (100),
# EXIT_WARMUP (10), PHASE_RUNS (40), FIRST_SAMPLES (21), FIRST_WARMUP (3), FIRST_YQ (v4.54.3; empty skips yq). Medians only: the machine may be shared.
set -euo pipefail
cd "$(dirname "$0")/.."

GO=${GO:-go}
BENCH_COUNT=${BENCH_COUNT:-5}
COST_RUNS=${COST_RUNS:-200}
COST_WARMUP=${COST_WARMUP:-20}
INIT_RUNS=${INIT_RUNS:-25}
EXIT_PAIRS=${EXIT_PAIRS:-100}
EXIT_WARMUP=${EXIT_WARMUP:-10}
PHASE_RUNS=${PHASE_RUNS:-40}
FIRST_SAMPLES=${FIRST_SAMPLES:-31}
FIRST_WARMUP=${FIRST_WARMUP:-3}
FIRST_YQ=${FIRST_YQ-v4.54.3}

out=$(mktemp -d "${TMPDIR:-/tmp}/waymark-bench.XXXXXX")
trap 'rm -rf "$out"' EXIT
failed=()

echo "== machine: $(nproc) cores, load average $(cut -d' ' -f1-3 /proc/loadavg 2>/dev/null || echo n/a), $($GO version)"

echo
echo "== 1/7 Milestone after the first call (go test -bench, count $BENCH_COUNT)"
if ! $GO test -run '^$' -bench . -benchmem -count "$BENCH_COUNT" ./sdk/ | tee "$out/bench.txt"; then
	failed+=("go test -bench")
fi
if ! $GO test -count=1 -run '^TestMilestoneFastPathAllocatesNothing$' ./sdk/; then
	failed+=("TestMilestoneFastPathAllocatesNothing")
fi
# Median ns/op and allocs/op per benchmark; budget for client, package, disabled.
bench_summary() {
	local name ns allocs verdict
	for name in $(awk '/^BenchmarkMilestone\//{sub(/-[0-9]+$/, "", $1); print $1}' "$out/bench.txt" | sort -u); do
		ns=$(awk -v n="$name" '{b=$1; sub(/-[0-9]+$/, "", b)} b==n{print $3}' "$out/bench.txt" | sort -g |
			awk '{v[NR]=$1} END{if (NR%2) print v[(NR+1)/2]; else printf "%.3f\n", (v[NR/2]+v[NR/2+1])/2}')
		allocs=$(awk -v n="$name" '{b=$1; sub(/-[0-9]+$/, "", b)} b==n{print $7}' "$out/bench.txt" | sort -g | tail -1)
		case $name in
		*/undeclared) verdict="(informational)" ;;
		*) if awk -v ns="$ns" -v a="$allocs" 'BEGIN{exit !(ns <= 100 && a == 0)}'; then verdict=PASS; else verdict=FAIL; fi ;;
		esac
		printf '%-34s median %8s ns/op  max %s allocs/op   budget <=100 ns, 0 allocs   %s\n' "$name" "$ns" "$allocs" "$verdict"
	done
}
bench_summary | tee "$out/bench-summary.txt"
if grep -q FAIL "$out/bench-summary.txt" || ! grep -q PASS "$out/bench-summary.txt"; then
	failed+=("Milestone budget")
fi

echo
echo "== 2/7 cost of linking Waymark (bench/cmd/costdriver)"
$GO build -o "$out/costdriver" ./bench/cmd/costdriver
if ! "$out/costdriver" -runs "$COST_RUNS" -warmup "$COST_WARMUP" -inittrace "$INIT_RUNS" | tee "$out/cost.txt"; then
	failed+=("costdriver")
fi

echo
echo "== 3/7 exit-time cost, telemetry on vs off (bench/cmd/exitcost)"
$GO build -o "$out/exitcost" ./bench/cmd/exitcost
if ! "$out/exitcost" -pairs "$EXIT_PAIRS" -warmup "$EXIT_WARMUP" | tee "$out/exit.txt"; then
	failed+=("exitcost")
fi

echo
echo "== 4/7 where a run's telemetry time goes (bench/cmd/startphases, no budget)"
$GO build -o "$out/startphases" ./bench/cmd/startphases
if ! "$out/startphases" -runs "$PHASE_RUNS" | tee "$out/phases.txt"; then
	failed+=("startphases")
fi

echo
echo "== 5/7 the file report at scale (bench/report.sh)"
if ! bash bench/report.sh | tee "$out/report.txt"; then
	failed+=("report bench")
fi
if grep -q FAIL "$out/report.txt"; then
	failed+=("report budget")
fi

echo
echo "== 6/7 a spool of 100 000 entries (bench/cmd/spoolcost)"
if ! { $GO build -o "$out/spoolcost" ./bench/cmd/spoolcost && "$out/spoolcost" -pairs "${SPOOL_PAIRS:-30}" | tee "$out/spool.txt"; }; then
	failed+=("spoolcost")
fi

echo
echo "== 7/7 first run (fresh HOME), telemetry on vs off (bench/cmd/firstrun)"
$GO build -o "$out/firstrun" ./bench/cmd/firstrun
if ! "$out/firstrun" -samples "$FIRST_SAMPLES" -warmup "$FIRST_WARMUP" -yq "$FIRST_YQ" | tee "$out/first.txt"; then
	failed+=("firstrun")
fi

echo
echo "================ summary (medians) ================"
cat "$out/bench-summary.txt"
grep -E '^(growth|withsdk .*minus basecli|telemetry off wrote)' "$out/cost.txt" || true
grep -E '^withsdk  init in the' "$out/cost.txt" || true
grep -E "^(60 days|120 days|counts equal)" "$out/report.txt" || true
sed -n '/^== summary/,$p' "$out/exit.txt" | grep -vE '^(== summary|exitcost:)' || true
sed -n '/^== summary/,$p' "$out/first.txt" | grep -vE '^(== summary|firstrun:)' || true
echo
echo "Reproduce:"
echo "  Milestone:   go test -run '^\$' -bench . -benchmem -count $BENCH_COUNT ./sdk/"
echo "  link cost:   go run ./bench/cmd/costdriver -runs $COST_RUNS -warmup $COST_WARMUP -inittrace $INIT_RUNS"
echo "  exit cost:   go run ./bench/cmd/exitcost -pairs $EXIT_PAIRS -warmup $EXIT_WARMUP"
echo "  breakdown:   go run ./bench/cmd/startphases -runs $PHASE_RUNS"
echo "  spool cost:  go run ./bench/cmd/spoolcost -pairs ${SPOOL_PAIRS:-30}"
echo "  first run:   go run ./bench/cmd/firstrun -samples $FIRST_SAMPLES -warmup $FIRST_WARMUP -yq '$FIRST_YQ'"
echo "  everything:  make bench   (bash bench/run.sh)"
if ((${#failed[@]})); then
	echo
	echo "FAILED: ${failed[*]}"
	exit 1
fi
echo
echo "all budgets PASS"
