import { describe, expect, it } from '@jest/globals';
import { execFile } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { FEED_APP_SOURCE, feedRoundTrip } from './support/feed-app-source.js';

const root = fileURLToPath(new URL('..', import.meta.url));
const hooks = new URL('./support/forbid-import.hooks.mjs', import.meta.url).href;
/** Registers the hooks before anything else loads: importing ioredis throws from then on. */
const forbidIoredis = `data:text/javascript,${encodeURIComponent(
  `import { register } from 'node:module';
   register(${JSON.stringify(hooks)}, { data: { forbidden: ['ioredis'] } });`,
)}`;

/**
 * An ESM application on the in-memory default, with the built package loaded by name, as an
 * app without ioredis installed would: it boots, serves a stream a client reads, and at the end
 * reports whether any ioredis module was loaded (CommonJS modules land in the require cache,
 * however they were loaded).
 */
const APP = `
import 'reflect-metadata';
import { createRequire } from 'node:module';
import { Controller, Module } from '@nestjs/common';
import { NestFactory } from '@nestjs/core';
import { BroadcastService, SseChannel, SseModule } from 'nestjs-sse-channels';
import { connect } from 'nestjs-sse-channels/client';
import { createSseTestApp } from 'nestjs-sse-channels/testing';

${FEED_APP_SOURCE}
${feedRoundTrip('from memory')}
console.log('testing entry:', typeof createSseTestApp);
const cache = Object.keys(createRequire(process.cwd() + '/').cache);
console.log('ioredis modules loaded:', cache.filter((file) => file.includes('/node_modules/ioredis/')).length);
`;

/** The same hooks in front of the Redis entry point: the import must fail. */
const REDIS_ENTRY = `
try {
  await import('nestjs-sse-channels/redis');
  console.log('imported');
} catch (error) {
  console.log('refused:', error.message);
}
`;

function runModule(source: string): Promise<string> {
  return new Promise((resolve, reject) =>
    execFile(
      process.execPath,
      ['--import', forbidIoredis, '--input-type=module', '-e', source],
      { cwd: root, timeout: 20_000 },
      (error, stdout, stderr) =>
        error ? reject(new Error(`${error.message}\n${stdout}\n${stderr}`)) : resolve(stdout),
    ),
  );
}

describe('an application on the in-memory backend', () => {
  it('boots and streams without ever loading ioredis', async () => {
    const output = await runModule(APP);
    expect(output).toContain('received from memory');
    expect(output).toContain('testing entry: function');
    expect(output).toContain('ioredis modules loaded: 0');
  });

  it('would be stopped by the same hooks at the first import of ioredis', async () => {
    const output = await runModule(REDIS_ENTRY);
    expect(output).toMatch(/refused: forbidden import of ioredis from file:\/\/.*\/dist\/redis\//);
  });
});
