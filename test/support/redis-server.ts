import { execFileSync, spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

/** A real redis-server on a free port of 127.0.0.1, with its own data folder. */
export interface RedisServer {
  /** `redis://` or, with TLS, `rediss://`. */
  readonly url: string;
  readonly port: number;
  /** With TLS: the self-signed certificate clients must trust (PEM). */
  readonly ca: string | undefined;
  /** Stops it (SIGTERM); with `persist`, its data survives for `start()`. */
  stop(): Promise<void>;
  /** Starts it again on the same port and folder. */
  start(): Promise<void>;
  /** Stops it for good and removes its folder. */
  dispose(): Promise<void>;
  /** Runs one command with redis-cli (plain TCP servers only) and returns its output. */
  cli(...args: string[]): string;
  /** Closes the pub/sub connections whose client name is `name`; returns how many. */
  killSubscribers(name: string): number;
}

export async function startRedis(
  options: {
    persist?: boolean;
    tls?: boolean;
    /** The port of a server on 127.0.0.1 this one replicates. */
    replicaOf?: number;
  } = {},
): Promise<RedisServer> {
  const port = await freePort();
  const dir = mkdtempSync(join(tmpdir(), 'sse-redis-'));
  let child: ChildProcess | undefined;
  // An append-only file lets a restarted server keep its streams, like a production setup.
  const persistence = ['--appendonly', options.persist ? 'yes' : 'no', '--appendfsync', 'always'];
  const listen = options.tls ? tlsArgs(dir, port) : ['--port', String(port)];
  const replica = options.replicaOf ? ['--replicaof', '127.0.0.1', String(options.replicaOf)] : [];
  const args = [
    '--bind',
    '127.0.0.1',
    '--dir',
    dir,
    '--save',
    '',
    ...persistence,
    ...listen,
    ...replica,
  ];
  const start = () =>
    new Promise<void>((resolve, reject) => {
      const server = spawn('redis-server', args, { stdio: ['ignore', 'pipe', 'pipe'] });
      child = server;
      let output = '';
      const onData = (chunk: Buffer) => {
        output += chunk.toString();
        if (output.includes('Ready to accept connections')) resolve();
      };
      server.stdout?.on('data', onData);
      server.on('error', (error) =>
        reject(
          new Error(
            `Could not start redis-server (${error.message}). The Redis tests need it on the PATH: ` +
              '`npm run test:all` installs it, `npm test` does not; run `bash scripts/install-test-deps.sh` ' +
              '(Debian package redis-server) once.',
          ),
        ),
      );
      server.on('exit', (code) =>
        reject(new Error(`redis-server exited with ${code} before it was ready:\n${output}`)),
      );
    });
  const stop = () =>
    new Promise<void>((resolve) => {
      if (!child || child.exitCode !== null) return resolve();
      child.once('exit', () => resolve());
      child.kill('SIGTERM');
    });
  await start();
  const cli = (...command: string[]) => {
    if (options.tls) throw new Error('cli() speaks plain TCP only');
    return execFileSync('redis-cli', ['-p', String(port), ...command]).toString();
  };
  return {
    url: `${options.tls ? 'rediss' : 'redis'}://127.0.0.1:${port}`,
    port,
    ca: options.tls ? readFileSync(join(dir, 'cert.pem'), 'utf8') : undefined,
    stop,
    start,
    dispose: async () => {
      await stop();
      rmSync(dir, { recursive: true, force: true });
    },
    cli,
    killSubscribers: (name) => {
      const ids = cli('CLIENT', 'LIST', 'TYPE', 'pubsub')
        .split('\n')
        .filter((line) => line.includes(` name=${name} `))
        .map((line) => /\bid=(\d+)/.exec(line)?.[1] as string);
      for (const id of ids) cli('CLIENT', 'KILL', 'ID', id);
      return ids.length;
    },
  };
}

/** A self-signed certificate for 127.0.0.1 (openssl), and TLS on `port` only. */
function tlsArgs(dir: string, port: number): string[] {
  const cert = join(dir, 'cert.pem');
  const key = join(dir, 'key.pem');
  execFileSync(
    'openssl',
    [
      'req',
      '-x509',
      '-newkey',
      'rsa:2048',
      '-nodes',
      '-days',
      '1',
      '-subj',
      '/CN=127.0.0.1',
      '-addext',
      'subjectAltName=IP:127.0.0.1',
      '-keyout',
      key,
      '-out',
      cert,
    ],
    { stdio: 'ignore' },
  );
  return [
    '--port',
    '0',
    '--tls-port',
    String(port),
    '--tls-cert-file',
    cert,
    '--tls-key-file',
    key,
    '--tls-ca-cert-file',
    cert,
    '--tls-auth-clients',
    'no',
  ];
}

export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.on('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const address = server.address();
      server.close(() => resolve(typeof address === 'object' && address ? address.port : 0));
    });
  });
}
