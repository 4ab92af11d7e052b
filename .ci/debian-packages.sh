#!/usr/bin/env bash
# Installs the Debian packages the tests need, when any is missing: nginx, curl, chromium and
# util-linux (unshare, for tests that give a run its own /etc). Idempotent and quick when all
# are there.
set -euo pipefail
missing=()
{ command -v nginx || [[ -x /usr/sbin/nginx ]]; } >/dev/null || missing+=(nginx)
command -v curl >/dev/null || missing+=(curl)
command -v chromium >/dev/null || missing+=(chromium)
command -v unshare >/dev/null || missing+=(util-linux)
((${#missing[@]})) || exit 0
sudo=
[[ $(id -u) -eq 0 ]] || sudo=sudo
$sudo apt-get update
DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y --no-install-recommends "${missing[@]}"
