// Builds what end-to-end tests run outside Jest's own module loader, with tsc (NestJS needs the
// decorator metadata only a real TypeScript build emits): the package itself (dist/, loaded by
// name as users do), the app instance the multi-process Redis tests start (test/instances) and
// the sample app, as `npm run sample` builds it. The builds are incremental, so they take a
// moment only when something changed.
import { execFileSync } from 'node:child_process';
import { createRequire } from 'node:module';

export default function globalSetup() {
  const tsc = createRequire(import.meta.url).resolve('typescript/bin/tsc');
  const build = (...args) => execFileSync(process.execPath, [tsc, ...args], { stdio: 'inherit' });
  build(
    '-p',
    'tsconfig.build.json',
    '--incremental',
    '--tsBuildInfoFile',
    '.tmp/build.tsbuildinfo',
  );
  build('-p', 'test/instances/tsconfig.json');
  build(
    '-p',
    'sample/tsconfig.json',
    '--incremental',
    '--tsBuildInfoFile',
    '.tmp/sample.tsbuildinfo',
  );
}
