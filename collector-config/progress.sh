#!/usr/bin/env bash
# Runs a long, quiet command and prints a line every 20 s while it runs, so that a person
# watching a build knows it is still going:
#
#   bash collector-config/progress.sh "collector: still building" bash collector-config/build.sh
#
# prints "collector: still building (20 s)", "(40 s)", … until the command ends, then exits with
# the command's status. The ticker stops with the command, and on its own if this script is
# killed.
set -uo pipefail

label=$1
shift
start=$(date +%s)
parent=$$
(
	while sleep 20; do
		kill -0 "$parent" 2>/dev/null || exit 0
		echo "$label ($(($(date +%s) - start)) s)"
	done
) &
ticker=$!
trap 'kill "$ticker" 2>/dev/null' EXIT
"$@"
