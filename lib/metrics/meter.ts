/**
 * The parts of OpenTelemetry's metrics API the module uses, described by shape: the library
 * must build, load and type-check without `@opentelemetry/api`, an optional dependency. A
 * `Meter` from the API fits them (`sse-metrics.spec.ts` checks it against the real one).
 */

/** Attribute values the module records: few, bounded, never a channel name or a user id. */
export type MetricAttributes = Readonly<Record<string, string | number>>;

export interface CounterLike {
  add(value: number, attributes?: MetricAttributes): void;
}

export interface HistogramLike {
  record(value: number, attributes?: MetricAttributes): void;
}

/** An asynchronous instrument: observed at collection time, in the module's batch callback. */
export type ObservableLike = object;

export interface InstrumentOptions {
  readonly description: string;
  readonly unit: string;
  readonly advice?: { readonly explicitBucketBoundaries?: number[] };
}

export interface BatchResultLike {
  observe(observable: ObservableLike, value: number, attributes?: MetricAttributes): void;
}

export type BatchCallbackLike = (result: BatchResultLike) => void;

export interface MeterLike {
  createCounter(name: string, options?: InstrumentOptions): CounterLike;
  createHistogram(name: string, options?: InstrumentOptions): HistogramLike;
  createObservableCounter(name: string, options?: InstrumentOptions): ObservableLike;
  createObservableUpDownCounter(name: string, options?: InstrumentOptions): ObservableLike;
  createObservableGauge(name: string, options?: InstrumentOptions): ObservableLike;
  addBatchObservableCallback(callback: BatchCallbackLike, observables: ObservableLike[]): void;
  removeBatchObservableCallback(callback: BatchCallbackLike, observables: ObservableLike[]): void;
}

/** What the module records with while metrics are off: same shape, nothing done. */
export const NOOP_COUNTER: CounterLike = { add: () => undefined };
export const NOOP_HISTOGRAM: HistogramLike = { record: () => undefined };
