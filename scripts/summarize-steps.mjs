// Prints the final `N passed, N failed` line of scripts/test-all.sh from the steps it ran.
// Usage: node scripts/summarize-steps.mjs <steps file>
// Each line of the steps file: `<exit code>\t<Jest JSON results file, or ->\t<step name>`.
// Passed and failed tests come from Jest's JSON results. A step that failed without a failed
// test to show for it (lint, types, build, an install, the benchmark, a Jest run that crashed,
// found no tests, or left no readable results) counts as one failed test, so no failure can
// hide behind "0 failed". This script never throws: the summary is always its last line.
import { readFileSync } from 'node:fs';

let passed = 0;
let failed = 0;

/** Counts one failure for a step that has no failed test to show for it. */
function stepFailed(name, why) {
  failed += 1;
  console.log(`FAILED STEP: ${name} (${why})`);
}

/** Jest's counts from its `--json` output, or a reason they cannot be read. */
function jestCounts(file) {
  let results;
  try {
    results = JSON.parse(readFileSync(file, 'utf8'));
  } catch (error) {
    return { problem: `no readable results in ${file}: ${error.message}` };
  }
  const passedTests = results?.numPassedTests;
  const failedTests = results?.numFailedTests;
  // A suite that fails to load has no failed test but must still count.
  const brokenSuites = results?.numRuntimeErrorTestSuites;
  if (![passedTests, failedTests, brokenSuites].every(Number.isInteger))
    return { problem: `${file} does not hold Jest's --json results` };
  return { passed: passedTests, failed: failedTests + brokenSuites };
}

function summarize(stepsFile) {
  const lines = readFileSync(stepsFile, 'utf8').split('\n').filter(Boolean);
  if (lines.length === 0) stepFailed('all', `no step recorded in ${stepsFile}`);
  for (const line of lines) {
    const [code, resultsFile, name] = line.split('\t');
    const exited = code === '0' ? undefined : `exit code ${code}`;
    if (resultsFile === '-') {
      if (exited) stepFailed(name, exited);
      continue;
    }
    const counts = jestCounts(resultsFile);
    if (counts.problem) {
      stepFailed(name, exited ? `${exited}, ${counts.problem}` : counts.problem);
      continue;
    }
    passed += counts.passed;
    failed += counts.failed;
    if (exited && counts.failed === 0) stepFailed(name, `${exited} with no failed test reported`);
  }
}

try {
  summarize(process.argv[2]);
} catch (error) {
  stepFailed('summary', `steps file ${process.argv[2]} unreadable: ${error.message}`);
}
console.log(`${passed} passed, ${failed} failed`);
