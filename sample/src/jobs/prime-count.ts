/**
 * Counts the primes below `limit` with a segmented sieve, one segment per call of `next()`, so
 * a job can report progress and yield the event loop between segments.
 */
export class PrimeCount {
  static readonly SEGMENT = 100_000;

  readonly segments: number;
  private readonly basePrimes: number[];
  private segment = 0;
  private found = 0;

  constructor(readonly limit: number) {
    this.segments = Math.ceil(limit / PrimeCount.SEGMENT);
    this.basePrimes = smallPrimes(Math.floor(Math.sqrt(limit)));
  }

  get done(): boolean {
    return this.segment >= this.segments;
  }

  get segmentsDone(): number {
    return this.segment;
  }

  get count(): number {
    return this.found;
  }

  /** Sieves the next segment; returns false when there was none left. */
  next(): boolean {
    if (this.done) return false;
    const low = this.segment * PrimeCount.SEGMENT;
    const high = Math.min(low + PrimeCount.SEGMENT, this.limit);
    const composite = new Uint8Array(high - low);
    for (const p of this.basePrimes) {
      if (p * p >= high) break;
      for (let m = Math.max(p * p, Math.ceil(low / p) * p); m < high; m += p)
        composite[m - low] = 1;
    }
    for (let n = Math.max(low, 2); n < high; n++) if (composite[n - low] === 0) this.found++;
    this.segment++;
    return true;
  }
}

/** Primes up to and including `max`, by a plain sieve (max is at most a few thousand here). */
function smallPrimes(max: number): number[] {
  const composite = new Uint8Array(max + 1);
  const primes: number[] = [];
  for (let n = 2; n <= max; n++) {
    if (composite[n]) continue;
    primes.push(n);
    for (let m = n * n; m <= max; m += n) composite[m] = 1;
  }
  return primes;
}
