#!/usr/bin/env bash
# Proves a peerDependency range: copies the project to a scratch folder, installs the given
# package versions there in place of the ones in package-lock.json, and runs Jest against them.
# Usage: scripts/test-other-versions.sh "<packages to install>" [jest args...]
#   e.g. scripts/test-other-versions.sh "@nestjs/common@^11 @nestjs/core@^11" --selectProjects e2e
set -euo pipefail
packages=$1
shift
root=$(cd "$(dirname "$0")/.." && pwd)
scratch=$(mktemp -d "${TMPDIR:-/tmp}/sse-versions.XXXXXX")
trap 'rm -rf "$scratch"' EXIT

# Tracked and not-ignored files only: what a clean clone has, plus work in progress.
(cd "$root" && git ls-files -z --cached --others --exclude-standard |
  while IFS= read -r -d '' file; do [ -e "$file" ] && printf '%s\0' "$file"; done |
  xargs -0 cp --parents -t "$scratch")
cd "$scratch"
npm ci --no-audit --no-fund --loglevel=error
# shellcheck disable=SC2086 # the package list is meant to split into words
npm install --no-audit --no-fund --loglevel=error --no-save $packages
for package in $packages; do
  name=${package%@*}
  node -e "console.log('$name', require('$name/package.json').version)"
done
npm test -- "$@"
