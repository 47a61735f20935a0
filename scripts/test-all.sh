#!/usr/bin/env bash
# The whole test suite, as CI runs it (`.ci/run`): system packages, lint, types, build, unit and
# end-to-end tests on NestJS 12, the end-to-end suite again on NestJS 11, the Redis tests on
# ioredis 5, and a quick benchmark.
# Ends with one plain line, `N passed, N failed`, summed from Jest's JSON results.
set -uo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
cd "$root"
results="$root/.tmp/results"
rm -rf "$results" && mkdir -p "$results"
failed_steps=()

step() {
  local name=$1
  shift
  echo "::: $name"
  "$@" || failed_steps+=("$name")
}

step "install system packages" bash scripts/install-test-deps.sh
step "lint" npm run --silent lint
step "typecheck" npm run --silent typecheck
step "build" npm run --silent build
step "tests (NestJS 12)" npm test -- --json --outputFile="$results/nest12.json"
step "e2e tests (NestJS 11)" bash scripts/test-other-versions.sh \
  "@nestjs/common@^11 @nestjs/core@^11 @nestjs/platform-express@^11 @nestjs/platform-fastify@^11 @nestjs/testing@^11" \
  --selectProjects e2e --json --outputFile="$results/nest11.json"
step "Redis tests (ioredis 5)" bash scripts/test-other-versions.sh "ioredis@^5" \
  --selectProjects e2e --testPathPatterns redis --json --outputFile="$results/ioredis5.json"
step "benchmark (quick)" npm run --silent bench -- --quick

summary=$(node -e '
  const fs = require("fs");
  let passed = 0, failed = 0;
  for (const file of fs.readdirSync(process.argv[1])) {
    const r = JSON.parse(fs.readFileSync(process.argv[1] + "/" + file, "utf8"));
    passed += r.numPassedTests;
    // A suite that fails to load has no failed test but must still count.
    failed += r.numFailedTests + r.numRuntimeErrorTestSuites;
  }
  console.log(passed + " passed, " + failed + " failed");
' "$results")
for name in "${failed_steps[@]}"; do echo "FAILED STEP: $name"; done
echo "$summary"
[ ${#failed_steps[@]} -eq 0 ]
