import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { extname } from 'node:path';

/** A file served as it is, read once at startup: the sample's pages never change at run time. */
export interface StaticFile {
  readonly contentType: string;
  readonly body: Buffer;
}

const CONTENT_TYPES: Record<string, string> = {
  '.html': 'text/html; charset=utf-8',
  '.css': 'text/css; charset=utf-8',
  '.js': 'text/javascript; charset=utf-8',
};

/** Served at `/<name>`. */
export const PAGES = [
  'index.html',
  'chat.html',
  'tokens.html',
  'jobs.html',
  'dashboard.html',
  'private.html',
  'activity.html',
  'style.css',
];

/** htmx and its SSE extension, from the packages npm installed (the page needs no CDN). */
export const VENDOR: Record<string, string> = {
  'htmx.min.js': 'htmx.org/dist/htmx.min.js',
  'htmx-ext-sse.js': 'htmx-ext-sse/dist/sse.js',
};

export function loadStaticFiles(): Map<string, StaticFile> {
  const files = new Map<string, StaticFile>();
  const publicDir = new URL('../../public/', import.meta.url);
  for (const name of PAGES) files.set(name, load(new URL(name, publicDir)));
  const require = createRequire(import.meta.url);
  for (const [name, module] of Object.entries(VENDOR))
    files.set(`vendor/${name}`, load(require.resolve(module)));
  return files;
}

function load(path: URL | string): StaticFile {
  const name = String(path);
  return {
    contentType: CONTENT_TYPES[extname(name)] ?? 'application/octet-stream',
    body: readFileSync(path),
  };
}
