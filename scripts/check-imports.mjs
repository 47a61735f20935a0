#!/usr/bin/env node
// Checks the shape of lib/'s imports, type-only ones included (a type import is still a
// dependency a reader follows), and fails listing every breach:
//   - no import circle between files;
//   - lib/interfaces/ imports only lib/interfaces/ and lib/protocol/: contracts know no code;
//   - lib/client/ imports only lib/client/ and lib/protocol/: it runs in browsers;
//   - lib/backends/memory/ reaches the library only through lib/backends/index.ts (the
//     `nestjs-sse-channels/backend` entry point) and the module's messages;
//   - each optional peer dependency is imported (statically or by `import()`) only where its
//     entry point or its one loader lives, so the root entry never loads it;
//   - every index.ts is an entry point of the package or imported by a file.
import { readdirSync, readFileSync } from 'node:fs';
import { dirname, join, relative, resolve } from 'node:path';

const root = resolve(dirname(new URL(import.meta.url).pathname), '..');
const lib = join(root, 'lib');

function sources(dir) {
  return readdirSync(dir, { withFileTypes: true }).flatMap((entry) => {
    const path = join(dir, entry.name);
    if (entry.isDirectory()) return sources(path);
    return entry.name.endsWith('.ts') && !entry.name.endsWith('.spec.ts') ? [path] : [];
  });
}

const IMPORT = /^\s*(?:import|export)\b[^'"]*?\sfrom\s+'(\.[^']+)'|^\s*import\s+'(\.[^']+)'/gm;

/** The lib files `file` imports (relative specifiers, `.js` resolved to the `.ts` source). */
function importsOf(file) {
  const text = readFileSync(file, 'utf8');
  return [...text.matchAll(IMPORT)].map((match) =>
    resolve(dirname(file), (match[1] ?? match[2]).replace(/\.js$/, '.ts')),
  );
}

const files = sources(lib);
const graph = new Map(files.map((file) => [file, importsOf(file)]));
const name = (file) => relative(root, file);
const under = (file, folder) => file.startsWith(join(lib, folder) + '/');
const problems = [];

// Circles: a depth-first search that reports each back edge's circle once.
const state = new Map();
const stack = [];
function visit(file) {
  state.set(file, 'open');
  stack.push(file);
  for (const target of graph.get(file) ?? []) {
    if (state.get(target) === 'open') {
      const circle = stack.slice(stack.indexOf(target)).concat(target);
      problems.push(`import circle: ${circle.map(name).join(' -> ')}`);
    } else if (!state.has(target) && graph.has(target)) visit(target);
  }
  stack.pop();
  state.set(file, 'done');
}
for (const file of files) if (!state.has(file)) visit(file);

const rules = [
  ['interfaces', (target) => under(target, 'interfaces') || under(target, 'protocol')],
  ['client', (target) => under(target, 'client') || under(target, 'protocol')],
  [
    'backends/memory',
    (target) =>
      under(target, 'backends/memory') ||
      target === join(lib, 'backends/index.ts') ||
      target === join(lib, 'sse.messages.ts'),
  ],
];
for (const [folder, allowed] of rules) {
  for (const file of files.filter((f) => under(f, folder))) {
    for (const target of graph.get(file) ?? []) {
      if (!allowed(target)) problems.push(`${name(file)} may not import ${name(target)}`);
    }
  }
}

// Where each optional peer may be imported: its entry point's folder, or its one loader.
const OPTIONAL_PEERS = {
  ioredis: (file) => under(file, 'redis'),
  '@nestjs/terminus': (file) => under(file, 'terminus'),
  '@nestjs/swagger': (file) => under(file, 'swagger'),
  '@opentelemetry/api': (file) => file === join(lib, 'metrics/resolve-meter.ts'),
  'class-transformer': (file) => file === join(lib, 'channel/channel-rules.ts'),
};
const PACKAGE = /(?:\bfrom\s+|\bimport\s*\(\s*|^\s*import\s+)'((?:@[^/']+\/)?[^./'][^/']*)/gm;
for (const file of files) {
  for (const [, peer] of readFileSync(file, 'utf8').matchAll(PACKAGE)) {
    const allowed = OPTIONAL_PEERS[peer];
    if (allowed && !allowed(file))
      problems.push(`${name(file)} may not import ${peer}: an optional peer`);
  }
}

const manifest = JSON.parse(readFileSync(join(root, 'package.json'), 'utf8'));
const entries = new Set(
  Object.values(manifest.exports)
    .map((entry) => (typeof entry === 'string' ? entry : entry.default))
    .filter((target) => target.startsWith('./dist/'))
    .map((target) => join(lib, target.slice('./dist/'.length).replace(/\.js$/, '.ts'))),
);
const imported = new Set([...graph.values()].flat());
for (const file of files.filter((f) => f.endsWith('/index.ts'))) {
  if (!entries.has(file) && !imported.has(file))
    problems.push(`${name(file)} is neither an entry point nor imported`);
}

if (problems.length > 0) {
  console.error(`lib/ imports: ${problems.length} problem(s)\n  ${problems.join('\n  ')}`);
  process.exit(1);
}
console.log(`lib/ imports: ${files.length} files, no circle, every rule holds`);
