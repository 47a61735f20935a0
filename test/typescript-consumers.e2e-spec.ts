import { beforeAll, describe, expect, it } from '@jest/globals';
import { execFile } from 'node:child_process';
import { cpSync, mkdirSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';

const run = promisify(execFile);
const root = fileURLToPath(new URL('..', import.meta.url));
const scratch = join(root, '.tmp', 'consumers');
const installed = join(scratch, 'node_modules', 'nestjs-sse-channels');

/** The compilers of the supported TypeScript versions (devDependencies, under aliases). */
const COMPILERS = {
  '5.8': 'typescript-5.8',
  '6.0': 'typescript',
  '7.0': 'typescript-7',
} as const;

/**
 * The module settings the README supports: the classic Nest CLI tsconfig (`module: commonjs`,
 * which resolves like Node 10 before TypeScript 6), and `nodenext` in a CommonJS and in an ESM
 * application. Strict, and checking the package's own declaration files too.
 */
const SETUPS = {
  'classic Nest (module commonjs)': { type: 'commonjs', module: 'commonjs', target: 'ES2021' },
  'nodenext, CommonJS app': { type: 'commonjs', module: 'nodenext', target: 'ES2022' },
  'nodenext, ESM app': { type: 'module', module: 'nodenext', target: 'ES2022' },
} as const;

/** The consumer sources, compiled in each setup as a user's own files. */
const SOURCES = ['app.ts', 'refused.ts'];

/** Writes a consumer project for `setup` and returns its tsconfig path. */
function project(name: string, setup: (typeof SETUPS)[keyof typeof SETUPS]): string {
  const dir = join(scratch, name.replace(/\W+/g, '-'));
  mkdirSync(dir, { recursive: true });
  for (const file of SOURCES) cpSync(join(root, 'test', 'consumers', file), join(dir, file));
  writeFileSync(join(dir, 'package.json'), JSON.stringify({ type: setup.type }));
  const compilerOptions = {
    module: setup.module,
    target: setup.target,
    strict: true,
    experimentalDecorators: true,
    emitDecoratorMetadata: true,
    skipLibCheck: false,
    noEmit: true,
    types: ['node'],
    typeRoots: [join(root, 'node_modules', '@types')],
  };
  writeFileSync(join(dir, 'tsconfig.json'), JSON.stringify({ compilerOptions, files: SOURCES }));
  return join(dir, 'tsconfig.json');
}

/** Runs one compiler on one project; resolves with what it printed (nothing when it passed). */
async function compile(version: keyof typeof COMPILERS, tsconfig: string): Promise<string> {
  // By path: TypeScript 7's exports map does not list its bin.
  const tsc = join(root, 'node_modules', COMPILERS[version], 'bin', 'tsc');
  try {
    await run(process.execPath, [tsc, '-p', tsconfig], { timeout: 120_000 });
    return '';
  } catch (error) {
    const { stdout, stderr, message } = error as {
      stdout?: string;
      stderr?: string;
      message: string;
    };
    return `${stdout ?? ''}${stderr ?? ''}` || message;
  }
}

/**
 * The package as users get it (`npm pack`, then unpacked as npm would install it), used by
 * TypeScript applications on each supported version and module setting.
 */
describe('TypeScript applications using the packed package', () => {
  beforeAll(async () => {
    rmSync(scratch, { recursive: true, force: true });
    mkdirSync(installed, { recursive: true });
    // global-setup built dist/; packing takes what `files` lists, as a publish does.
    await run('npm', ['pack', root, '--pack-destination', scratch, '--silent'], { cwd: root });
    const tarball = readdirSync(scratch).find((file) => file.endsWith('.tgz')) as string;
    await run('tar', ['-xzf', join(scratch, tarball), '-C', installed, '--strip-components=1']);
  }, 60_000);

  const matrix = Object.keys(COMPILERS).flatMap((version) =>
    Object.keys(SETUPS).map((setup) => [version, setup] as const),
  );

  // Concurrently: each compiler runs in a process of its own.
  it.concurrent.each(matrix)(
    'compile with TypeScript %s, %s, and refuse what the types forbid',
    async (version, setup) => {
      const tsconfig = project(`${setup}-${version}`, SETUPS[setup as keyof typeof SETUPS]);
      expect(await compile(version as keyof typeof COMPILERS, tsconfig)).toBe('');
    },
    120_000,
  );

  it("needs typesVersions for the subpaths in the classic Nest setup, before TypeScript 6's resolution", async () => {
    const manifest = join(installed, 'package.json');
    const original = readFileSync(manifest, 'utf8');
    try {
      const { typesVersions, ...rest } = JSON.parse(original) as Record<string, unknown>;
      expect(typesVersions).toBeDefined();
      writeFileSync(manifest, JSON.stringify(rest));
      const tsconfig = project(
        'classic-without-typesVersions',
        SETUPS['classic Nest (module commonjs)'],
      );
      const output = await compile('5.8', tsconfig);
      expect(output).toContain("Cannot find module 'nestjs-sse-channels/client'");
    } finally {
      writeFileSync(manifest, original);
    }
  }, 120_000);
});
