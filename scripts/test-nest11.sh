#!/usr/bin/env bash
# Proves the peerDependency range `^11 || ^12`: copies the project to a scratch folder, installs
# NestJS 11 there in place of 12, and runs the end-to-end suite against it.
# Usage: scripts/test-nest11.sh [jest args...]   (e.g. --json --outputFile=/abs/path.json)
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
scratch=$(mktemp -d "${TMPDIR:-/tmp}/sse-nest11.XXXXXX")
trap 'rm -rf "$scratch"' EXIT

# Tracked and not-ignored files only: what a clean clone has, plus work in progress.
(cd "$root" && git ls-files -z --cached --others --exclude-standard |
  while IFS= read -r -d '' file; do [ -e "$file" ] && printf '%s\0' "$file"; done |
  xargs -0 cp --parents -t "$scratch")
cd "$scratch"
npm ci --no-audit --no-fund --loglevel=error
npm install --no-audit --no-fund --loglevel=error --no-save \
  @nestjs/common@^11 @nestjs/core@^11 @nestjs/platform-express@^11 \
  @nestjs/platform-fastify@^11 @nestjs/testing@^11
node -e "for (const p of ['common','core','platform-express','platform-fastify']) console.log('@nestjs/' + p, require('@nestjs/' + p + '/package.json').version)"
npm test -- --selectProjects e2e "$@"
