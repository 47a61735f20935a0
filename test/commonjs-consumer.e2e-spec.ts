import { describe, expect, it } from '@jest/globals';
import { execFile } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { FEED_APP_SOURCE, feedRoundTrip } from './support/feed-app-source.js';

const root = fileURLToPath(new URL('..', import.meta.url));

/**
 * A CommonJS application (most NestJS 11 apps) loading the ESM package with require(), as
 * Node.js allows from 20.19 / 22.12: it boots a module and serves a stream.
 */
const SCRIPT = `
require('reflect-metadata');
const { Controller, Module } = require('@nestjs/common');
const { NestFactory } = require('@nestjs/core');
const { SseModule, SseChannel, BroadcastService } = require('nestjs-sse-channels');
const { connect } = require('nestjs-sse-channels/client');

${FEED_APP_SOURCE}
(async () => {
${feedRoundTrip('from commonjs')}
})().catch((error) => { console.error(error); process.exit(1); });
`;

describe('a CommonJS application', () => {
  it('requires the ESM package and streams with it', async () => {
    const output = await new Promise<string>((resolve, reject) =>
      execFile(
        process.execPath,
        ['--input-type=commonjs', '-e', SCRIPT],
        { cwd: root, timeout: 20_000 },
        (error, stdout, stderr) =>
          error ? reject(new Error(`${error.message}\n${stderr}`)) : resolve(stdout),
      ),
    );
    expect(output).toContain('received from commonjs');
  });
});
