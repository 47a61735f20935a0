/** Polls `condition` until it holds; fails with `describe()` after `timeoutMs`. */
export async function waitUntil(
  condition: () => boolean,
  describe: () => string,
  timeoutMs = 5000,
): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!condition()) {
    if (Date.now() > deadline) throw new Error(`Timed out after ${timeoutMs} ms: ${describe()}`);
    await new Promise((resolve) => setTimeout(resolve, 5));
  }
}

/**
 * Timers, sockets and other handles that keep the process alive, by kind. Unref'd timers are
 * not among them: `trackLibraryTimers()` counts the library's.
 */
export function activeResources(): Record<string, number> {
  const counts: Record<string, number> = {};
  for (const kind of process.getActiveResourcesInfo()) counts[kind] = (counts[kind] ?? 0) + 1;
  return counts;
}
