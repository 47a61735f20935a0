import { describe, expect, it } from '@jest/globals';
import { execFile } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { FEED_APP_SOURCE, feedRoundTrip } from './support/feed-app-source.js';

const root = fileURLToPath(new URL('..', import.meta.url));
const hooks = new URL('./support/forbid-import.hooks.mjs', import.meta.url).href;
/** Every optional peer dependency: an app that installs none of them must run unchanged. */
const OPTIONAL_PEERS = ['ioredis', '@opentelemetry/api', '@nestjs/terminus', '@nestjs/swagger'];
/** Registers the hooks before anything else loads: importing an optional peer throws from then on. */
const forbidOptionalPeers = `data:text/javascript,${encodeURIComponent(
  `import { register } from 'node:module';
   register(${JSON.stringify(hooks)}, { data: { forbidden: ${JSON.stringify(OPTIONAL_PEERS)} } });`,
)}`;

/**
 * An ESM application on the in-memory default, with the built package loaded by name, as an
 * app that installed none of the optional peers would (metrics on, as by default): it boots,
 * serves a stream a client reads, and at the end reports whether any module of an optional peer
 * was loaded (CommonJS modules land in the require cache, however they were loaded).
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
for (const peer of ${JSON.stringify(OPTIONAL_PEERS)})
  console.log(peer, 'modules loaded:', cache.filter((file) => file.includes('/node_modules/' + peer + '/')).length);
`;

/** The same hooks in front of an entry point made for one optional peer: the import must fail. */
const importEntry = (entry: string) => `
try {
  await import('nestjs-sse-channels/${entry}');
  console.log('imported');
} catch (error) {
  console.log('refused:', error.message);
}
`;

function runModule(source: string): Promise<string> {
  return new Promise((resolve, reject) =>
    execFile(
      process.execPath,
      ['--import', forbidOptionalPeers, '--input-type=module', '-e', source],
      { cwd: root, timeout: 20_000 },
      (error, stdout, stderr) =>
        error ? reject(new Error(`${error.message}\n${stdout}\n${stderr}`)) : resolve(stdout),
    ),
  );
}

describe('an application without the optional peer dependencies', () => {
  it('boots and streams, metrics on, without ever loading one of them', async () => {
    const output = await runModule(APP);
    expect(output).toContain('received from memory');
    expect(output).toContain('testing entry: function');
    for (const peer of OPTIONAL_PEERS) expect(output).toContain(`${peer} modules loaded: 0`);
  });

  it.each([
    ['redis', 'ioredis'],
    ['terminus', '@nestjs/terminus'],
    ['swagger', '@nestjs/swagger'],
  ])(
    'would be stopped by the same hooks at the first import: nestjs-sse-channels/%s needs %s',
    async (entry, peer) => {
      const output = await runModule(importEntry(entry));
      expect(output).toMatch(
        new RegExp(`refused: forbidden import of ${peer}.* from file://.*/dist/${entry}/`),
      );
    },
  );
});
