export type JobStatus = 'queued' | 'running' | 'succeeded' | 'cancelled';

/** A job as the API and the `status` events show it. */
export interface JobView {
  readonly id: string;
  /** Counts the primes below this number. */
  readonly limit: number;
  readonly status: JobStatus;
  /** 0 to 100. */
  readonly percent: number;
  /** The number of primes, once succeeded. */
  readonly result: number | undefined;
  /** Increases with every change, so a page can keep the newest of two views. */
  readonly version: number;
  readonly createdAt: string;
}
