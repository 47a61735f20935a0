/** The part of a browser `window` the client uses; absent in Node. */
interface PageEvents {
  addEventListener(type: 'pagehide', listener: () => void): void;
  removeEventListener(type: 'pagehide', listener: () => void): void;
}

/**
 * Calls `close` when the page is hidden for navigation or unload. A fetch left open would keep
 * the page out of the back/forward cache, and the server would hold the connection until its
 * heartbeat notices. Returns the function that detaches the listener, or undefined outside a
 * browser.
 */
export function onPageHide(close: () => void): (() => void) | undefined {
  const page = globalThis as Partial<PageEvents>;
  if (typeof page.addEventListener !== 'function') return undefined;
  page.addEventListener('pagehide', close);
  return () => page.removeEventListener?.('pagehide', close);
}
