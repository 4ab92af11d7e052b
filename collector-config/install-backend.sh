#!/usr/bin/env bash
# Installs the optional metrics backend used by victoriametrics.yaml and its end-to-end test:
# VictoriaMetrics single-node at a pinned version, built with `go install` into the Go bin
# directory (GOBIN, else GOPATH/bin). Idempotent: nothing is done when that version is there.
set -euo pipefail

VM_VERSION=v1.150.0

gobin="$(go env GOBIN)"
[[ -n "$gobin" ]] || gobin="$(go env GOPATH)/bin"
bin="$gobin/victoria-metrics"

# The module version recorded in the binary says what was installed.
if [[ -x "$bin" ]] && go version -m "$bin" 2>/dev/null | grep -Eq "github.com/VictoriaMetrics/VictoriaMetrics[[:space:]]+$VM_VERSION"; then
	echo "backend: $bin ($VM_VERSION) is installed"
	exit 0
fi
echo "backend: installing VictoriaMetrics $VM_VERSION (a few minutes on 2 cores)"
go install "github.com/VictoriaMetrics/VictoriaMetrics/app/victoria-metrics@$VM_VERSION"
echo "backend: installed $bin"
