import { DataPointType, type MetricReader } from '@opentelemetry/sdk-metrics';

/** One data point of an OpenTelemetry metric, as the dashboard's metrics table shows it. */
export interface MetricRow {
  readonly name: string;
  /** `key=value` pairs, space-separated; empty for a point without attributes. */
  readonly attributes: string;
  readonly value: string;
}

/**
 * What `reader` holds now, every data point of every instrument (the sample's meter provider
 * has only the library's), read in process: the same figures Prometheus scrapes from /metrics.
 */
export async function metricRows(reader: MetricReader): Promise<MetricRow[]> {
  const { resourceMetrics } = await reader.collect();
  return resourceMetrics.scopeMetrics
    .flatMap((scope) => scope.metrics)
    .flatMap((metric) =>
      metric.dataPoints.map((point) => ({
        name: metric.descriptor.name,
        attributes: Object.entries(point.attributes)
          .map(([key, value]) => `${key}=${String(value)}`)
          .join(' '),
        value:
          metric.dataPointType === DataPointType.HISTOGRAM
            ? histogramValue(point.value as { count: number; sum?: number }, metric.descriptor.unit)
            : `${Number(point.value)}${unitSuffix(metric.descriptor.unit)}`,
      })),
    )
    .sort((a, b) => a.name.localeCompare(b.name) || a.attributes.localeCompare(b.attributes));
}

function histogramValue({ count, sum }: { count: number; sum?: number }, unit: string): string {
  if (count === 0 || sum === undefined) return `${count} recorded`;
  return `${count} recorded, mean ${round(sum / count)}${unitSuffix(unit)}`;
}

/** Units in brackets (`{stream}`) annotate counts; others (`s`, `By`) are shown. */
function unitSuffix(unit: string): string {
  return unit === '' || unit.startsWith('{') ? '' : ` ${unit}`;
}

function round(value: number): string {
  return value >= 100 ? value.toFixed(0) : value.toPrecision(3);
}
