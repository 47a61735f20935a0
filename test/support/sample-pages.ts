import type { Locator, Page } from 'playwright-core';
import type { Chromium } from './chromium.js';

/**
 * Pages of the sample app in one Chromium profile (one person: one cookie jar). Collects what
 * the pages log, so a failing test shows the browser's side too, and fails on page errors.
 */
export class SamplePages {
  private readonly pages: Page[] = [];
  private readonly problems: string[] = [];

  constructor(
    private readonly chromium: Chromium,
    private readonly baseUrl: string,
  ) {}

  async open(path: string): Promise<Page> {
    const page = await this.chromium.context.newPage();
    this.pages.push(page);
    page.on('pageerror', (error) => this.problems.push(`${path}: ${error.message}`));
    page.on('console', (message) => {
      // The browser logs every failed request (401, 204...) that a test provokes on purpose.
      if (message.type() === 'error' && !message.text().startsWith('Failed to load resource'))
        this.problems.push(`${path}: ${message.text()}`);
    });
    await page.goto(`${this.baseUrl}${path}`);
    return page;
  }

  /** Script errors the pages hit; a test expects none. */
  errors(): string[] {
    return [...this.problems];
  }

  /** Closes every page and signs out. */
  async closeAll(): Promise<void> {
    await Promise.all(this.pages.splice(0).map((page) => page.close()));
    // Signed out: the next test starts as an anonymous visitor.
    await this.chromium.context.clearCookies();
    this.problems.length = 0;
  }
}

/** Waits until the element's text matches, failing with what it showed instead. */
export async function waitForText(
  locator: Locator,
  expected: string | RegExp,
  timeoutMs = 10_000,
): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  let text = '';
  while (Date.now() < deadline) {
    text = (await locator.count()) ? ((await locator.first().textContent()) ?? '') : '';
    if (typeof expected === 'string' ? text.includes(expected) : expected.test(text)) return;
    await new Promise((resolve) => setTimeout(resolve, 25));
  }
  throw new Error(
    `Timed out waiting for ${String(expected)} in ${String(locator)}; it showed "${text}"`,
  );
}

/** The text of every element the locator matches. */
export async function textsOf(locator: Locator): Promise<string[]> {
  return (await locator.allTextContents()).map((text) => text.trim());
}

/** Signs in to the sample over HTTP, as a script would; returns the `Cookie` header to send. */
export async function sessionCookie(baseUrl: string, name: string): Promise<string> {
  const login = await fetch(`${baseUrl}/auth/login`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ name }),
  });
  const cookie = login.headers.get('set-cookie')?.split(';')[0];
  if (login.status !== 200 || !cookie) throw new Error(`sign-in as ${name}: HTTP ${login.status}`);
  return cookie;
}
