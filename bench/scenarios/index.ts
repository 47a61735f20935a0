import { connectRateScenario } from './connect-rate.js';
import { latencyScenario } from './latency.js';
import { memoryScenario } from './memory.js';
import { replayScenario } from './replay.js';
import type { Scenario } from './scenario.js';
import { targetedScenario } from './targeted.js';
import { throughputScenario } from './throughput.js';
import { twoInstanceScenario } from './two-instance.js';

/**
 * The scenarios in the order they run and are reported. A scenario that needs more than one
 * server instance starts them itself through its `Deployment`; adding one means a file here and
 * an entry in this list.
 */
export const SCENARIOS: readonly Scenario[] = [
  throughputScenario,
  targetedScenario,
  latencyScenario,
  memoryScenario,
  connectRateScenario,
  replayScenario,
  twoInstanceScenario,
];

export type { Scenario, ScenarioResult, MetricDefinition } from './scenario.js';
