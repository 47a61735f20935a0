import { readFile } from 'node:fs/promises';
import type { ResolvedSseOptions } from '../interfaces/sse-options.interface.js';
import { SSE_METER_NAME } from '../sse.constants.js';
import type { MeterLike } from './meter.js';

interface OpenTelemetryApi {
  readonly metrics: { getMeter(name: string, version?: string): MeterLike };
}

/**
 * The meter the module records with, once, when the module is created: from
 * `metrics.meterProvider`, or from `@opentelemetry/api`'s global provider. Undefined when
 * metrics are off or the API is not installed: then nothing of OpenTelemetry is loaded, and the
 * module records into no-op instruments. With the API but no SDK registered, the API's own
 * no-op meter is used.
 */
export async function resolveMeter(options: ResolvedSseOptions): Promise<MeterLike | undefined> {
  const { enabled, meterProvider } = options.metrics;
  if (!enabled) return undefined;
  const version = await packageVersion();
  if (meterProvider) return meterProvider.getMeter(SSE_METER_NAME, version) as MeterLike;
  const api = await loadApi();
  return api?.metrics.getMeter(SSE_METER_NAME, version);
}

/**
 * The API, imported once per process: the module loader keeps it anyway, and an application
 * whose boot fails elsewhere while this module is being created then leaves no `import()` to
 * run after it has been torn down.
 */
let api: Promise<OpenTelemetryApi | undefined> | undefined;

function loadApi(): Promise<OpenTelemetryApi | undefined> {
  api ??= import('@opentelemetry/api').then(
    (module) => module as OpenTelemetryApi,
    // Not installed, which is fine: an SDK needs the API, so without it no one is collecting.
    () => undefined,
  );
  return api;
}

/**
 * The package's version, the meter's `otel.scope.version`: read from its package.json, two
 * levels up from here in the published package (dist/metrics/) as in the sources (lib/metrics/).
 */
async function packageVersion(): Promise<string | undefined> {
  try {
    const text = await readFile(new URL('../../package.json', import.meta.url), 'utf8');
    const { version } = JSON.parse(text) as { version?: unknown };
    return typeof version === 'string' ? version : undefined;
  } catch {
    return undefined;
  }
}
