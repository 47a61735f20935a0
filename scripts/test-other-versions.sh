#!/usr/bin/env bash
# Proves a peerDependency range: copies the project to a scratch folder, installs the given
# package versions there in place of the ones in package-lock.json, checks that each installed
# major is the requested one, and runs Jest against them.
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
# npm may keep another version (a lockfile pin, a peer it prefers): prove the requested major
# is what Jest will load, or stop before any test runs.
for package in $packages; do
  node -e '
    const spec = process.argv[1];
    const at = spec.lastIndexOf("@");
    const [name, range] = at > 0 ? [spec.slice(0, at), spec.slice(at + 1)] : [spec, ""];
    const major = /\d+/.exec(range)?.[0];
    if (major === undefined) {
      console.error(`${spec}: name the major version to install, as in ${name}@^<major>`);
      process.exit(1);
    }
    const { version } = require(`${name}/package.json`);
    console.log(`${name} ${version} (requested ${range})`);
    if (version.split(".")[0] !== major) {
      console.error(`${name} ${version} is installed, not ${major}.x as requested (${spec})`);
      process.exit(1);
    }
  ' "$package"
done
npm test -- "$@"
