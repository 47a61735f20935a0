#!/usr/bin/env bash
# The whole test suite, as CI runs it (`.ci/run`): system packages, lint, types, build, unit and
# end-to-end tests on NestJS 12, the end-to-end suite again on NestJS 11, the Redis tests on
# ioredis 5.3 (the oldest the peer range allows), and a quick benchmark.
# Ends with one plain line, `N passed, N failed`, summed from Jest's JSON results by
# scripts/summarize-steps.mjs; a step that fails without a failed test to show (lint, an
# install, the benchmark, missing results...) counts as one failed.
set -uo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
cd "$root"
results="$root/.tmp/results"
rm -rf "$results" && mkdir -p "$results"
steps="$results/steps.tsv"
: >"$steps"

# step <name> <Jest results file, or -> <command...>: runs it and records how it ended.
step() {
  local name=$1 file=$2
  shift 2
  echo "::: $name"
  "$@"
  printf '%s\t%s\t%s\n' "$?" "$file" "$name" >>"$steps"
}

step "install system packages" - bash scripts/install-test-deps.sh
step "lint" - npm run --silent lint
step "typecheck" - npm run --silent typecheck
step "build" - npm run --silent build
step "tests (NestJS 12)" "$results/nest12.json" \
  npm test -- --json --outputFile="$results/nest12.json"
step "e2e tests (NestJS 11)" "$results/nest11.json" bash scripts/test-other-versions.sh \
  "@nestjs/common@^11 @nestjs/core@^11 @nestjs/platform-express@^11 @nestjs/platform-fastify@^11 @nestjs/testing@^11 @nestjs/swagger@^11 @nestjs/terminus@^11" \
  --selectProjects e2e --json --outputFile="$results/nest11.json"
step "Redis tests (ioredis 5.3, the oldest supported)" "$results/ioredis5.json" bash scripts/test-other-versions.sh "ioredis@5.3.0" \
  --selectProjects e2e --testPathPatterns redis --json --outputFile="$results/ioredis5.json"
step "benchmark (quick)" - npm run --silent bench -- --quick

summary=$(node scripts/summarize-steps.mjs "$steps") ||
  summary="FAILED STEP: summary (node exited $?)"$'\n'"0 passed, 1 failed"
echo "$summary"
[[ $summary == *" passed, 0 failed" ]]
