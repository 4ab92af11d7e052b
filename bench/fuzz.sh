#!/usr/bin/env bash
# Runs every fuzz target of the module, one at a time, for FUZZTIME each (default 20s).
# Targets are found, not listed: every `func FuzzXxx(` in a *_test.go file.
# A failing input is written by go test under the package's testdata/fuzz/ as usual.
set -euo pipefail
cd "$(dirname "$0")/.."

GO=${GO:-go}
FUZZTIME=${FUZZTIME:-20s}

targets=$(grep -rn --include='*_test.go' --exclude-dir=testdata --exclude-dir=.git -E '^func Fuzz[A-Za-z0-9_]*\(' . |
	while IFS=: read -r file _ rest; do
		name=${rest#func }
		echo "$(dirname "$file") ${name%%(*}"
	done | sort -u)
if [[ -z $targets ]]; then
	echo "no fuzz targets found"
	exit 1
fi

failed=()
count=0
while read -r dir name; do
	# Packages of another module (such as the collector build) are not ours to fuzz.
	if ! $GO list "$dir" >/dev/null 2>&1; then
		echo "== skip $name in $dir: not a package of this module"
		continue
	fi
	count=$((count + 1))
	echo "== $name ($dir, $FUZZTIME)"
	if ! $GO test -run '^$' -fuzz "^${name}\$" -fuzztime "$FUZZTIME" "$dir"; then
		failed+=("$dir:$name")
	fi
done <<<"$targets"

echo
if ((${#failed[@]})); then
	echo "fuzz: ${#failed[@]} of $count targets FAILED: ${failed[*]}"
	exit 1
fi
echo "fuzz: all $count targets passed ($FUZZTIME each)"
