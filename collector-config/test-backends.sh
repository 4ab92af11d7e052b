#!/usr/bin/env bash
# Runs the backend tests (VictoriaMetrics, VictoriaLogs single node and cluster, `waymark report
# --victorialogs` against both, Prometheus, the agent, sampling and erasure tests, which need
# VictoriaLogs' delete API, and the durability tests: collector kills, a VictoriaLogs outage, a
# full disk) verbosely against the installed backends and fails unless every one of them ran and
# passed:
# a skip, a missing test or a failure all fail. `make test` runs the rest of the suite with
# these left out (`--pattern` prints the -run/-skip pattern) and then this script.
#
#   WAYMARK_COLLECTOR=$PWD/bin/otelcol-waymark bash collector-config/test-backends.sh
set -euo pipefail

tests=(TestVictoriaMetrics TestVictoriaLogs TestVictoriaLogsCluster TestReportVictoriaLogs TestReportVictoriaLogsCluster TestPrometheus
	TestAgentRunsAreTaggedAndCounted TestSampledInstallsSendAQuarter TestErasureLeavesNoTrace
	TestAcknowledgedEventsSurviveCollectorKills TestAcknowledgedEventsSurviveVictoriaLogsOutage TestFullDiskRefusesWhatItCannotStore)
pattern="^($(IFS='|'; echo "${tests[*]}"))\$"
if [[ "${1:-}" == "--pattern" ]]; then
	echo "$pattern"
	exit 0
fi

cd "$(dirname "$0")/.."
[[ -n "${WAYMARK_COLLECTOR:-}" ]] || { echo "test-backends.sh: set WAYMARK_COLLECTOR (make test does)" >&2; exit 2; }
log="$(mktemp)"
trap 'rm -f "$log"' EXIT
status=0
go test -race -count=1 -timeout 30m -v -run "$pattern" ./collector-config/ 2>&1 | tee "$log" || status=$?

if grep -E -- '^\s*--- SKIP' "$log"; then
	echo "test-backends.sh: a backend test skipped (above); CI needs every backend tested" >&2
	status=1
fi
for t in "${tests[@]}"; do
	if ! grep -Eq -- "^--- PASS: $t \(" "$log"; then
		echo "test-backends.sh: $t did not pass" >&2
		status=1
	fi
done
exit "$status"
