/**
 * The one clock every benchmark process reads, in milliseconds with sub-microsecond resolution.
 *
 * Latency is the difference between a time read in the server process (just before it
 * publishes) and times read in the client processes (when the read that completes a frame
 * returns), so all processes need one time base, finer than a millisecond: loopback fan-out to a
 * few thousand sockets takes single-digit milliseconds.
 *
 * - `Date.now()` is shared by all processes but has 1 ms resolution.
 * - `performance.now()` is fine-grained but counts from each process's own start.
 * - `process.hrtime()` counts from "an arbitrary time in the past" (Node docs), so it is only
 *   guaranteed to be comparable within one process.
 *
 * `performance.timeOrigin + performance.now()` combines the first two: the origin is the
 * wall-clock time at which the process started, taken once with microsecond precision, and the
 * offset from it comes from the monotonic clock. Two processes on one machine therefore agree to
 * within the time Node takes between reading the two clocks at start-up, and an NTP adjustment
 * during the run cannot bend an interval measured inside one process. That time is microseconds
 * on a quiet machine, but a process started on a busy one can be descheduled in between, and be
 * tens of milliseconds off. So the orchestrator measures each child's offset over IPC when the
 * child starts (`measureClockOffset()` in `orchestrator/worker.ts`), puts every time a child
 * reports on its own clock (`toLocalTime()`), and reports the largest offset and uncertainty.
 */
export function now(): number {
  return performance.timeOrigin + performance.now();
}
