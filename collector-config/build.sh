#!/usr/bin/env bash
# Builds bin/otelcol-waymark from collector-config/builder-config.yaml with the official
# OpenTelemetry Collector Builder, installed with `go install` at its pinned version if missing.
#
# Idempotent: when bin/otelcol-waymark already exists and was built from the same manifest and
# this script (their hash is recorded next to the generated sources), nothing is rebuilt.
# FORCE=1 rebuilds anyway. Generated sources go to collector-config/build/ (git-ignored).
set -euo pipefail

BUILDER_VERSION=v0.161.0

here="$(cd "$(dirname "$0")" && pwd)"
root="$(cd "$here/.." && pwd)"
out="$root/bin/otelcol-waymark"
stamp="$here/build/.manifest.sha256"

want="$(cat "$here/builder-config.yaml" "$here/build.sh" | sha256sum | cut -d' ' -f1)"
if [[ "${FORCE:-}" != 1 && -x "$out" && -f "$stamp" && "$(cat "$stamp")" == "$want" ]]; then
	echo "collector: $out is up to date"
	exit 0
fi

gobin="$(go env GOBIN)"
[[ -n "$gobin" ]] || gobin="$(go env GOPATH)/bin"
builder="$gobin/builder"
if [[ ! -x "$builder" ]] || ! "$builder" version 2>/dev/null | grep -q "$BUILDER_VERSION"; then
	echo "collector: installing the builder $BUILDER_VERSION"
	go install "go.opentelemetry.io/collector/cmd/builder@$BUILDER_VERSION"
fi

echo "collector: building (about 2 min with a warm module cache, 6 min cold)"
cd "$here"
"$builder" --config builder-config.yaml
mkdir -p "$root/bin"
# Copy through a temporary name so a running collector is never overwritten in place.
cp build/otelcol-waymark "$out.tmp"
mv -f "$out.tmp" "$out"
echo "$want" >"$stamp"
echo "collector: built $out"
