#!/usr/bin/env bash
# Installs the OTLP backends that the collector's overlays send to and that their end-to-end
# tests run, each at a pinned version, built from source with `go install` into the
# repository's bin/ (git-ignored):
#
#   bash collector-config/install-backend.sh                  # all three
#   bash collector-config/install-backend.sh victorialogs     # or some of: victoriametrics victorialogs prometheus
#
# Idempotent: a binary is rebuilt only when the module version recorded in it (`go version -m`)
# differs from the pin below. Only the Go module proxy is needed. A cold build of all three
# takes several minutes on 2 cores.
set -euo pipefail

root="$(cd "$(dirname "$0")/.." && pwd)"
export GOBIN="$root/bin"
mkdir -p "$GOBIN"

# name  binary  module  version  package  build tags
pins=(
	"victoriametrics victoria-metrics github.com/VictoriaMetrics/VictoriaMetrics v1.150.0 app/victoria-metrics -"
	"victorialogs victoria-logs github.com/VictoriaMetrics/VictoriaLogs v1.52.1 app/victoria-logs -"
	# remove_all_sd leaves out every service-discovery plugin: Waymark pushes over OTLP.
	"prometheus prometheus github.com/prometheus/prometheus v0.316.0 cmd/prometheus remove_all_sd"
)

want=("$@")
[[ ${#want[@]} -gt 0 ]] || want=(victoriametrics victorialogs prometheus)

install() {
	local name=$1 bin=$2 mod=$3 ver=$4 pkg=$5 tags=$6
	local path="$GOBIN/$bin"
	# The main module's path and version (and the build tags) recorded in the binary say what
	# was installed.
	local info
	info="$(go version -m "$path" 2>/dev/null || true)"
	if grep -Eq "^[[:space:]]+mod[[:space:]]+$mod[[:space:]]+$ver([[:space:]]|$)" <<<"$info" &&
		{ [[ "$tags" == "-" ]] || grep -Eq "^[[:space:]]+build[[:space:]]+-tags=$tags\$" <<<"$info"; }; then
		echo "backend: $path ($ver) is installed"
		return
	fi
	echo "backend: installing $name $ver into $GOBIN (minutes on 2 cores)"
	local args=()
	[[ "$tags" == "-" ]] || args=(-tags "$tags")
	bash "$root/collector-config/progress.sh" "backend: $name still building" go install "${args[@]}" "$mod/$pkg@$ver"
	echo "backend: installed $path"
}

for w in "${want[@]}"; do
	found=
	for p in "${pins[@]}"; do
		read -r name bin mod ver pkg tags <<<"$p"
		if [[ "$name" == "$w" ]]; then
			install "$name" "$bin" "$mod" "$ver" "$pkg" "$tags"
			found=1
		fi
	done
	if [[ -z "$found" ]]; then
		echo "install-backend.sh: unknown backend $w (want victoriametrics, victorialogs or prometheus)" >&2
		exit 2
	fi
done
