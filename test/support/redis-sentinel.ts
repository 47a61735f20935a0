import { execFileSync, spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { freePort } from './redis-server.js';

/** A real Redis Sentinel on 127.0.0.1 watching one master. */
export interface RedisSentinel {
  readonly port: number;
  /** Runs one command on the Sentinel with redis-cli and returns its output. */
  cli(...args: string[]): string;
  /** Stops it and removes its folder. */
  dispose(): Promise<void>;
}

/**
 * Starts `redis-server --sentinel` watching the master on `masterPort` under `name` (quorum 1:
 * it alone decides a failover), and resolves once it monitors it. It rewrites its own config
 * file, so the file lives in a folder of its own.
 */
export async function startSentinel(name: string, masterPort: number): Promise<RedisSentinel> {
  const port = await freePort();
  const dir = mkdtempSync(join(tmpdir(), 'sse-sentinel-'));
  const config = join(dir, 'sentinel.conf');
  writeFileSync(
    config,
    [
      'bind 127.0.0.1',
      `port ${port}`,
      `dir ${dir}`,
      `sentinel monitor ${name} 127.0.0.1 ${masterPort} 1`,
      `sentinel down-after-milliseconds ${name} 1000`,
      `sentinel failover-timeout ${name} 5000`,
      '',
    ].join('\n'),
  );
  let child: ChildProcess | undefined;
  await new Promise<void>((resolve, reject) => {
    const sentinel = spawn('redis-server', [config, '--sentinel'], {
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    child = sentinel;
    let output = '';
    sentinel.stdout?.on('data', (chunk: Buffer) => {
      output += chunk.toString();
      if (output.includes('+monitor master')) resolve();
    });
    sentinel.on('error', reject);
    sentinel.on('exit', (code) =>
      reject(
        new Error(`redis-server --sentinel exited with ${code} before it was ready:\n${output}`),
      ),
    );
  });
  return {
    port,
    cli: (...args) => execFileSync('redis-cli', ['-p', String(port), ...args]).toString(),
    dispose: async () => {
      if (child && child.exitCode === null) {
        const exited = new Promise((resolve) => child?.once('exit', resolve));
        child.kill('SIGTERM');
        await exited;
      }
      rmSync(dir, { recursive: true, force: true });
    },
  };
}
