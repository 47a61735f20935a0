import { burstSweepScenario } from './bursts.js';
import { elsewhereScenario } from './elsewhere.js';
import { publishCapacityScenario } from './publish-capacity.js';
import { replayScenario } from './replay.js';
import { roomsScenario } from './rooms.js';
import { mostStreamsScenario, scaleScenario } from './scale.js';
import type { Scenario } from './scenario.js';
import { targetedScenario } from './targeted.js';
import { twoInstanceScenario } from './two-instance.js';

/**
 * The scenarios in the order they run and are reported. A scenario that needs more than one
 * server instance starts them itself through its `Deployment`; adding one means a file here and
 * an entry in this list. The clients' capacity is measured before any of them
 * (`client-capacity.ts`).
 */
export const SCENARIOS: readonly Scenario[] = [
  burstSweepScenario,
  scaleScenario,
  mostStreamsScenario,
  targetedScenario,
  replayScenario,
  twoInstanceScenario,
  elsewhereScenario,
  roomsScenario,
  publishCapacityScenario,
];

export type { Scenario, ScenarioResult, MetricDefinition, MetricRef } from './scenario.js';
