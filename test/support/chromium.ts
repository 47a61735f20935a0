import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { chromium, type BrowserContext } from 'playwright-core';

/** The Debian package; CI installs it (scripts/install-test-deps.sh). Nothing is downloaded. */
const CHROMIUM = '/usr/bin/chromium';
/** The network is closed: without these, Chromium's own background connections fail loudly. */
const CHROMIUM_ARGS = [
  '--headless',
  '--no-sandbox',
  '--disable-gpu',
  '--disable-quic',
  '--no-first-run',
  '--disable-background-networking',
  '--disable-component-update',
  '--disable-sync',
];

/** Headless Chromium with a fresh profile (its own cookies), removed by `close()`. */
export interface Chromium {
  readonly context: BrowserContext;
  close(): Promise<void>;
}

/** Throws (so the test fails) if Chromium cannot start. */
export async function launchChromium(): Promise<Chromium> {
  const profile = mkdtempSync(join(tmpdir(), 'sse-chromium-'));
  try {
    const context = await chromium.launchPersistentContext(profile, {
      executablePath: CHROMIUM,
      headless: true,
      args: CHROMIUM_ARGS,
    });
    return {
      context,
      close: async () => {
        await context.close();
        rmSync(profile, { recursive: true, force: true });
      },
    };
  } catch (error) {
    rmSync(profile, { recursive: true, force: true });
    throw new Error(`Chromium (${CHROMIUM}) could not be launched: ${String(error)}`, {
      cause: error,
    });
  }
}
