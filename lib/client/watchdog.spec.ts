import { describe, expect, it } from '@jest/globals';
import { Watchdog } from './watchdog.js';

const timers = () => process.getActiveResourcesInfo().filter((kind) => kind === 'Timeout').length;

describe('Watchdog', () => {
  it('reports silence after the timeout', async () => {
    const started = Date.now();
    await new Promise<void>((resolve) => new Watchdog(30, resolve).start());
    expect(Date.now() - started).toBeGreaterThanOrEqual(29);
  });

  it('postpones the verdict while something keeps arriving', async () => {
    let silentAt = 0;
    const silent = new Promise<void>((resolve) => {
      const watchdog = new Watchdog(40, () => {
        silentAt = Date.now();
        resolve();
      });
      watchdog.start();
      // Something arrives every 10 ms for 120 ms, three times the timeout.
      let touches = 0;
      const arrivals = setInterval(() => {
        watchdog.touch();
        if (++touches === 12) clearInterval(arrivals);
      }, 10);
    });
    const started = Date.now();
    await silent;
    expect(silentAt - started).toBeGreaterThanOrEqual(120 + 39);
  });

  it('does not fire once stopped, and leaves no timer', () => {
    const before = timers();
    const watchdog = new Watchdog(10, () => {
      throw new Error('fired after stop');
    });
    watchdog.start();
    expect(timers()).toBe(before + 1);
    watchdog.stop();
    expect(timers()).toBe(before);
  });

  it('never starts with a timeout of 0', () => {
    const before = timers();
    new Watchdog(0, () => undefined).start();
    expect(timers()).toBe(before);
  });
});
