#!/usr/bin/env bash
# Installs what the Windows suite needs, when any of it is missing: Wine (wine64, to run
# windows/amd64 binaries) and the mingw-w64 C compiler (to build the test-only ProcessPrng
# shim that Go needs and Wine 8 lacks). One `apt-get update`, only when something is missing;
# any failure fails the caller, so the suite never silently skips.
set -euo pipefail
missing=()
{ command -v wine64 || [[ -x /usr/lib/wine/wine64 ]]; } >/dev/null || missing+=(wine64)
command -v x86_64-w64-mingw32-gcc >/dev/null || missing+=(gcc-mingw-w64-x86-64)
((${#missing[@]})) || exit 0
sudo=
[[ $(id -u) -eq 0 ]] || sudo=sudo
$sudo apt-get update
DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y --no-install-recommends "${missing[@]}"
