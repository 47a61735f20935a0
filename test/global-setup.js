// Compiles the app instance the multi-process Redis tests start (test/instances), with tsc:
// NestJS needs the decorator metadata that only a real TypeScript build emits. Incremental, so
// it takes a moment only when something changed.
import { execFileSync } from 'node:child_process';
import { createRequire } from 'node:module';

export default function globalSetup() {
  const tsc = createRequire(import.meta.url).resolve('typescript/bin/tsc');
  execFileSync(process.execPath, [tsc, '-p', 'test/instances/tsconfig.json'], { stdio: 'inherit' });
}
