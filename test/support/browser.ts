import { existsSync, readFileSync, statSync } from 'node:fs';
import { createServer, type Server, type ServerResponse } from 'node:http';
import { dirname, join, normalize, resolve, sep } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { Page } from 'playwright-core';
import ts from 'typescript';
import { launchChromium, type Chromium } from './chromium.js';

const root = resolve(dirname(fileURLToPath(import.meta.url)), '../..');

/**
 * Library sources the page may load, compiled on request: the client, and the recorder of the
 * testing entry point (which has no Nest imports), so page-side waits fail with the same
 * messages as Node-side ones.
 */
const PAGE_SOURCES = [
  /^lib\/client\/.+\.ts$/,
  /^lib\/testing\/(sse-test-stream|testing\.\w+)\.ts$/,
];

/** Packages the page may load, with the file an import of the bare name resolves to. */
const PAGE_PACKAGES: Record<string, string> = {
  'eventsource-parser': 'eventsource-parser/dist/index.js',
  rxjs: 'rxjs/dist/esm/index.js',
  // rxjs's ES2015 build imports its helpers from tslib.
  tslib: 'tslib/tslib.es6.mjs',
};

const HARNESS = `
import { connect } from '/lib/client/index.js';
import { recordStream } from '/lib/testing/sse-test-stream.js';

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
};
`;

const PAGE = `<!doctype html>
<html>
  <head>
    <meta charset="utf-8" />
    <script type="importmap">${JSON.stringify({
      imports: Object.fromEntries(
        Object.keys(PAGE_PACKAGES).map((name) => [name, `/modules/${PAGE_PACKAGES[name]}`]),
      ),
    })}</script>
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
}

interface PageGlobals {
  harness: Harness;
  document: { cookie: string };
  dispatchEvent(event: unknown): boolean;
  PageTransitionEvent: new (type: string, init: { persisted: boolean }) => unknown;
}

/** Chromium with a page that has loaded the client, served from its own origin. */
export class BrowserPage {
  private constructor(
    private readonly chromium: Chromium,
    private readonly server: Server,
    readonly page: Page,
    /** The page's origin, e.g. `http://127.0.0.1:41234`; streams from elsewhere are cross-origin. */
    readonly origin: string,
    private readonly console: string[],
  ) {}

  /** Starts the page server and Chromium. Throws (so the test fails) if Chromium cannot start. */
  static async open(): Promise<BrowserPage> {
    const server = await servePage();
    const address = server.address();
    if (address === null || typeof address === 'string') throw new Error('no TCP address');
    const origin = `http://127.0.0.1:${address.port}`;
    let chromium: Chromium;
    try {
      chromium = await launchChromium();
    } catch (error) {
      await closeServer(server);
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
      throw new Error(`The test page did not load:\n${console.join('\n')}`, { cause: error });
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

  /** Fires `pagehide` on the window, as the browser does when the page is left. */
  hidePage(): Promise<void> {
    return this.page.evaluate(() => {
      const page = globalThis as unknown as PageGlobals;
      page.dispatchEvent(new page.PageTransitionEvent('pagehide', { persisted: false }));
    });
  }

  async close(): Promise<void> {
    await this.chromium.close();
    await closeServer(this.server);
  }
}

async function servePage(): Promise<Server> {
  const compiled = new Map<string, string>();
  const server = createServer((req, res) => {
    const path = decodeURIComponent((req.url ?? '/').split('?')[0] ?? '/');
    try {
      if (path === '/') return send(res, 'text/html', PAGE);
      if (path === '/harness.js') return send(res, 'text/javascript', HARNESS);
      if (path.startsWith('/lib/')) return send(res, 'text/javascript', compile(path, compiled));
      if (path.startsWith('/modules/')) {
        return send(res, 'text/javascript', readFileSync(moduleFile(path.slice(9))));
      }
      res.writeHead(404).end();
    } catch (error) {
      res.writeHead(404, { 'content-type': 'text/plain' }).end(String(error));
    }
  });
  await new Promise<void>((done) => server.listen(0, '127.0.0.1', done));
  return server;
}

/** `lib/…/x.js` compiled from `lib/…/x.ts`, for the allowed sources only. */
function compile(path: string, cache: Map<string, string>): string {
  const source = `${path.slice(1, -3)}.ts`;
  if (!PAGE_SOURCES.some((allowed) => allowed.test(source))) throw new Error(`not served: ${path}`);
  const cached = cache.get(source);
  if (cached !== undefined) return cached;
  const output = ts.transpileModule(readFileSync(join(root, source), 'utf8'), {
    compilerOptions: { module: ts.ModuleKind.ESNext, target: ts.ScriptTarget.ES2022 },
    fileName: source,
  }).outputText;
  cache.set(source, output);
  return output;
}

/**
 * A file of an allowed package, resolved as a bundler would: rxjs's ES build imports
 * `./internal/Observable` without an extension.
 */
function moduleFile(request: string): string {
  const name = Object.keys(PAGE_PACKAGES).find((pkg) => request.startsWith(`${pkg}/`));
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

function closeServer(server: Server): Promise<void> {
  server.closeAllConnections();
  return new Promise((done) => server.close(() => done()));
}
