import { existsSync, readFileSync, statSync } from 'node:fs';
import { createServer, type Server, type ServerResponse } from 'node:http';
import { dirname, join, normalize, resolve, sep } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { Page } from 'playwright-core';
import { launchChromium, type Chromium } from './chromium.js';

const root = resolve(dirname(fileURLToPath(import.meta.url)), '../..');

/**
 * Files of the built package the page may load: the client, and the recorder of the testing
 * entry point (which has no Nest imports), so page-side waits fail with the same messages as
 * Node-side ones. They are what `npm publish` ships, so a client that builds but does not load
 * in a browser fails here.
 */
const PACKAGE_FILES = [
  /^dist\/client\/.+\.js$/,
  // What the client shares with the server: the protocol's names, dependency-free.
  /^dist\/protocol\/.+\.js$/,
  /^dist\/testing\/(sse-recording|testing\.\w+)\.js$/,
];

/** Packages the page may load: the client's runtime dependency, its rxjs peer and rxjs's tslib. */
const PAGE_PACKAGES = ['eventsource-parser', 'rxjs', 'tslib'];

/** The export conditions a bundler targeting browsers matches, as Node matches its own. */
const BROWSER_CONDITIONS = new Set(['browser', 'module', 'import', 'default']);

/**
 * The import map of the page: every bare name resolved through its package's `exports` map, as
 * a bundler would, so `nestjs-sse-channels/client` is the file the published package points at.
 */
const IMPORTS = {
  'nestjs-sse-channels/client': `/package/${exportTarget(root, './client')}`,
  ...Object.fromEntries(
    PAGE_PACKAGES.map((name) => [
      name,
      `/node_modules/${name}/${exportTarget(join(root, 'node_modules', name), '.')}`,
    ]),
  ),
};

const HARNESS = `
import { connect } from 'nestjs-sse-channels/client';
import { recordStream } from '/package/dist/testing/sse-recording.js';

const streams = new Map();
const named = (name) => {
  const stream = streams.get(name);
  if (!stream) throw new Error('No stream named ' + name);
  return stream;
};
const plain = (error) => ({
  name: error?.name,
  message: String(error?.message ?? error),
  status: error?.status,
  body: error?.body,
});

window.harness = {
  open(name, url, options, json) {
    const stream = connect(url, options);
    streams.set(name, recordStream(json ? stream.json() : stream, { timeoutMs: 5000 }));
  },
  opened: (name) => named(name).stream.opened(),
  state: (name) => named(name).stream.state,
  waitForCount: (name, count) => named(name).waitForCount(count),
  waitForEnd: async (name) => [...(await named(name).waitForEnd())],
  waitForError: async (name) => plain(await named(name).waitForError()),
  close: (name) => named(name).close(),
  // Listeners run in the order they were added: added after the streams', this one sees what
  // theirs did. The page is going away, so the report leaves as a beacon.
  reportOnPageHide() {
    addEventListener('pagehide', () => {
      const states = Object.fromEntries([...streams].map(([name, r]) => [name, r.stream.state]));
      navigator.sendBeacon('/pagehide', JSON.stringify(states));
    }, { once: true });
  },
};
`;

const PAGE = `<!doctype html>
<html>
  <head>
    <meta charset="utf-8" />
    <script type="importmap">${JSON.stringify({ imports: IMPORTS })}</script>
    <script type="module" src="/harness.js"></script>
  </head>
  <body></body>
</html>`;

/** A message as the page hands it over: plain JSON. */
export interface PageMessage {
  readonly data: unknown;
  readonly event: string;
  readonly id?: string;
  readonly retry?: number;
}

/** An error as the page hands it over. */
export interface PageError {
  readonly name: string;
  readonly message: string;
  readonly status?: number;
  readonly body?: string;
}

/** The client options a test can send into the page (no functions cross that boundary). */
export interface PageClientOptions {
  readonly method?: string;
  readonly headers?: Record<string, string>;
  readonly body?: string;
  readonly credentials?: 'omit' | 'same-origin' | 'include';
  readonly retryMs?: number;
  readonly backoff?: false;
  readonly closeOnPageHide?: boolean;
}

interface Harness {
  open(name: string, url: string, options: PageClientOptions, json: boolean): void;
  opened(name: string): Promise<void>;
  state(name: string): string;
  waitForCount(name: string, count: number): Promise<PageMessage[]>;
  waitForEnd(name: string): Promise<PageMessage[]>;
  waitForError(name: string): Promise<PageError>;
  close(name: string): void;
  reportOnPageHide(): void;
}

interface PageGlobals {
  harness: Harness;
  document: { cookie: string };
}

/** The state of every stream of the page when it was hidden, by name. */
export type PageHideReport = Record<string, string>;

/** How a person leaves the page. */
export type LeavePage = 'navigate away' | 'close the tab';

/** Chromium with a page that has loaded the client, served from its own origin. */
export class BrowserPage {
  private constructor(
    private readonly chromium: Chromium,
    private readonly server: PageServer,
    readonly page: Page,
    /** The page's origin, e.g. `http://127.0.0.1:41234`; streams from elsewhere are cross-origin. */
    readonly origin: string,
    private readonly console: string[],
  ) {}

  /** Starts the page server and Chromium. Throws (so the test fails) if Chromium cannot start. */
  static async open(): Promise<BrowserPage> {
    const server = await PageServer.start();
    const origin = server.origin;
    let chromium: Chromium;
    try {
      chromium = await launchChromium();
    } catch (error) {
      await server.close();
      throw error;
    }
    const { context } = chromium;
    const page = context.pages()[0] ?? (await context.newPage());
    const console: string[] = [];
    page.on('console', (message) => console.push(`${message.type()}: ${message.text()}`));
    page.on('pageerror', (error) => console.push(`pageerror: ${error.message}`));
    const browserPage = new BrowserPage(chromium, server, page, origin, console);
    try {
      await page.goto(`${origin}/`);
      await page.waitForFunction(() => 'harness' in globalThis, undefined, { timeout: 10_000 });
    } catch (error) {
      await browserPage.close();
      const refused = server.refused.map((line) => `not served: ${line}`);
      throw new Error(`The test page did not load:\n${[...console, ...refused].join('\n')}`, {
        cause: error,
      });
    }
    return browserPage;
  }

  /** What the page logged, for failure messages. */
  logs(): string {
    return this.console.join('\n');
  }

  /** Runs `connect(url, options)` in the page, recorded under `name`. */
  connect(name: string, url: string, options: PageClientOptions = {}, json = false): Promise<void> {
    return this.page.evaluate(
      ([n, u, o, j]) => (globalThis as unknown as PageGlobals).harness.open(n, u, o, j),
      [name, url, options, json] as const,
    );
  }

  opened(name: string): Promise<void> {
    return this.page.evaluate(
      (n) => (globalThis as unknown as PageGlobals).harness.opened(n),
      name,
    );
  }

  state(name: string): Promise<string> {
    return this.page.evaluate((n) => (globalThis as unknown as PageGlobals).harness.state(n), name);
  }

  waitForCount(name: string, count: number): Promise<PageMessage[]> {
    return this.page.evaluate(
      ([n, c]) => (globalThis as unknown as PageGlobals).harness.waitForCount(n, c),
      [name, count] as const,
    );
  }

  waitForEnd(name: string): Promise<PageMessage[]> {
    return this.page.evaluate(
      (n) => (globalThis as unknown as PageGlobals).harness.waitForEnd(n),
      name,
    );
  }

  waitForError(name: string): Promise<PageError> {
    return this.page.evaluate(
      (n) => (globalThis as unknown as PageGlobals).harness.waitForError(n),
      name,
    );
  }

  setCookie(cookie: string): Promise<void> {
    return this.page.evaluate((c) => {
      (globalThis as unknown as PageGlobals).document.cookie = c;
    }, cookie);
  }

  /**
   * Makes the page report, when it is hidden, the state of every stream opened so far: what
   * the client did on the browser's own `pagehide`, before the page was torn down.
   */
  reportOnPageHide(): Promise<void> {
    return this.page.evaluate(() =>
      (globalThis as unknown as PageGlobals).harness.reportOnPageHide(),
    );
  }

  /** Leaves the page as a person does; the browser fires `pagehide` and discards the page. */
  async leave(how: LeavePage): Promise<void> {
    if (how === 'navigate away') await this.page.goto('about:blank');
    else await this.page.close();
  }

  /** What the page reported when it was hidden (see `reportOnPageHide()`). */
  pageHideReport(timeoutMs = 10_000): Promise<PageHideReport> {
    return this.server.nextBeacon(timeoutMs);
  }

  async close(): Promise<void> {
    await this.chromium.close();
    await this.server.close();
  }
}

/** Serves the page, the built package and its dependencies; receives the page's beacons. */
class PageServer {
  /** Requests answered 404, for the failure message of a page that did not load. */
  readonly refused: string[] = [];
  private readonly beacons: PageHideReport[] = [];
  private readonly beaconWaiters = new Set<() => void>();

  private constructor(
    private readonly server: Server,
    readonly origin: string,
  ) {}

  static async start(): Promise<PageServer> {
    const server = createServer();
    await new Promise<void>((done) => server.listen(0, '127.0.0.1', done));
    const address = server.address();
    if (address === null || typeof address === 'string') throw new Error('no TCP address');
    const instance = new PageServer(server, `http://127.0.0.1:${address.port}`);
    server.on('request', (req, res) =>
      instance.handle(req.method ?? 'GET', req.url ?? '/', req, res),
    );
    return instance;
  }

  /** The next beacon the page sent (or one already received and not yet taken). */
  nextBeacon(timeoutMs: number): Promise<PageHideReport> {
    return new Promise((resolve, reject) => {
      const check = (): void => {
        const beacon = this.beacons.shift();
        if (!beacon) return;
        this.beaconWaiters.delete(check);
        clearTimeout(timer);
        resolve(beacon);
      };
      const timer = setTimeout(() => {
        this.beaconWaiters.delete(check);
        reject(new Error(`The page sent no pagehide report within ${timeoutMs} ms`));
      }, timeoutMs);
      this.beaconWaiters.add(check);
      check();
    });
  }

  close(): Promise<void> {
    this.server.closeAllConnections();
    return new Promise((done) => this.server.close(() => done()));
  }

  private handle(
    method: string,
    url: string,
    req: AsyncIterable<unknown>,
    res: ServerResponse,
  ): void {
    const path = decodeURIComponent(url.split('?')[0] ?? '/');
    if (method === 'POST' && path === '/pagehide') return void this.receiveBeacon(req, res);
    try {
      if (path === '/') return send(res, 'text/html', PAGE);
      if (path === '/harness.js') return send(res, 'text/javascript', HARNESS);
      // Chromium asks for it on every page; a 404 would only add noise to failure messages.
      if (path === '/favicon.ico') return void res.writeHead(204).end();
      if (path.startsWith('/package/'))
        return send(res, 'text/javascript', packageFile(path.slice(9)));
      if (path.startsWith('/node_modules/')) {
        return send(res, 'text/javascript', readFileSync(moduleFile(path.slice(14))));
      }
      throw new Error(`no route for ${path}`);
    } catch (error) {
      this.refused.push(`${path}: ${String(error)}`);
      res.writeHead(404, { 'content-type': 'text/plain' }).end(String(error));
    }
  }

  private async receiveBeacon(req: AsyncIterable<unknown>, res: ServerResponse): Promise<void> {
    let body = '';
    for await (const chunk of req) body += String(chunk);
    res.writeHead(204).end();
    this.beacons.push(JSON.parse(body) as PageHideReport);
    for (const check of this.beaconWaiters) check();
  }
}

/**
 * Where `subpath` of the package in `packageDir` points for a browser: its `exports` entry,
 * with nested conditions matched in the order the package lists them.
 */
function exportTarget(packageDir: string, subpath: string): string {
  const manifest = JSON.parse(readFileSync(join(packageDir, 'package.json'), 'utf8')) as {
    exports?: Record<string, unknown>;
  };
  const pick = (target: unknown): string | undefined => {
    if (typeof target === 'string') return target;
    if (target === null || typeof target !== 'object') return undefined;
    for (const [condition, value] of Object.entries(target)) {
      if (!BROWSER_CONDITIONS.has(condition)) continue;
      const found = pick(value);
      if (found !== undefined) return found;
    }
    return undefined;
  };
  const target = pick(manifest.exports?.[subpath]);
  if (target === undefined) throw new Error(`${packageDir} exports nothing for ${subpath}`);
  return normalize(target).split(sep).join('/');
}

/** A file of the built package, for the allowed files only; the global setup builds dist/. */
function packageFile(request: string): Buffer {
  const file = normalize(request).split(sep).join('/');
  if (!PACKAGE_FILES.some((allowed) => allowed.test(file))) throw new Error(`not served: ${file}`);
  return readFileSync(join(root, file));
}

/**
 * A file of an allowed package, resolved as a bundler would: rxjs's ES build imports
 * `./internal/Observable` without an extension.
 */
function moduleFile(request: string): string {
  const name = PAGE_PACKAGES.find((pkg) => request.startsWith(`${pkg}/`));
  if (!name) throw new Error(`not served: ${request}`);
  const packageDir = join(root, 'node_modules', name);
  const file = normalize(join(root, 'node_modules', request));
  if (!file.startsWith(packageDir + sep)) throw new Error(`outside ${name}: ${request}`);
  for (const candidate of [file, `${file}.js`, join(file, 'index.js')]) {
    if (existsSync(candidate) && statSync(candidate).isFile()) return candidate;
  }
  throw new Error(`no such module file: ${request}`);
}

function send(res: ServerResponse, contentType: string, body: string | Buffer): void {
  res.writeHead(200, { 'content-type': `${contentType}; charset=utf-8` }).end(body);
}
