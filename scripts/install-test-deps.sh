#!/usr/bin/env bash
# Installs the system packages the test suite drives for real: redis-server (Redis backend
# tests start their own server on a free port) and chromium (browser tests, through
# playwright-core). Debian packages; nothing is downloaded by the test tools themselves.
set -euo pipefail
missing=()
command -v redis-server >/dev/null 2>&1 || missing+=(redis-server)
[ -x /usr/bin/chromium ] || missing+=(chromium)
[ ${#missing[@]} -eq 0 ] && exit 0

sudo=""
[ "$(id -u)" -ne 0 ] && sudo="sudo"
export DEBIAN_FRONTEND=noninteractive
echo "Installing Debian packages: ${missing[*]}"
# The package lists may be missing or stale on a fresh machine: refresh them and retry once.
$sudo apt-get install -y --no-install-recommends "${missing[@]}" ||
  { $sudo apt-get update && $sudo apt-get install -y --no-install-recommends "${missing[@]}"; }
