import { spawn, type ChildProcess } from 'node:child_process';

const MAIN = new URL('../../.tmp/instances/test/instances/instance.main.js', import.meta.url);
/** The sample app as `npm run sample` builds it (the global setup compiles it). */
const SAMPLE_MAIN = new URL('../../sample/dist/main.js', import.meta.url);

/** An application in its own process: a test instance, or the sample app. */
export interface Instance {
  readonly url: string;
  readonly process: ChildProcess;
  /** Output it wrote so far, for failure messages and log checks. */
  output(): string;
  post<T = unknown>(path: string, body: unknown): Promise<{ status: number; body: T }>;
  get<T = unknown>(path: string): Promise<{ status: number; body: T }>;
  /** Graceful stop (SIGTERM, app.close()). */
  stop(): Promise<void>;
  /** Crash (SIGKILL): no shutdown hook runs. */
  crash(): Promise<void>;
  /** Freezes the process (SIGSTOP): it reads nothing, answers nothing, until `resume()`. */
  pause(): void;
  /** Lets a paused process run again (SIGCONT). */
  resume(): void;
}

/** The test instance (test/instances/instance.main.ts); it prints `READY <url>`. */
export function startInstance(env: Record<string, string>): Promise<Instance> {
  return startProcess(MAIN, env, /READY (\S+)/);
}

/** The sample app; it prints `open <url>` once listening. */
export function startSample(env: Record<string, string> = {}): Promise<Instance> {
  return startProcess(SAMPLE_MAIN, { PORT: '0', ...env }, /open (http:\/\/\S+)/);
}

function startProcess(main: URL, env: Record<string, string>, ready: RegExp): Promise<Instance> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [main.pathname], {
      env: { ...process.env, ...env },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let output = '';
    const onOutput = (chunk: Buffer) => {
      output += chunk.toString();
      const url = ready.exec(output)?.[1];
      if (url) resolve(instance(child, url, () => output));
    };
    child.stdout.on('data', onOutput);
    child.stderr.on('data', onOutput);
    child.on('exit', (code) =>
      reject(new Error(`instance exited with ${code} before it was ready:\n${output}`)),
    );
  });
}

function instance(child: ChildProcess, url: string, output: () => string): Instance {
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  const call = async <T>(path: string, init?: RequestInit) => {
    const response = await fetch(`${url}${path}`, init);
    return { status: response.status, body: (await response.json()) as T };
  };
  return {
    url,
    process: child,
    output,
    post: (path, body) =>
      call(path, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify(body),
      }),
    get: (path) => call(path),
    stop: async () => {
      if (child.exitCode === null) {
        // A paused process would not run its shutdown hooks.
        child.kill('SIGCONT');
        child.kill('SIGTERM');
      }
      await exited;
    },
    crash: async () => {
      if (child.exitCode === null) child.kill('SIGKILL');
      await exited;
    },
    pause: () => child.kill('SIGSTOP'),
    resume: () => child.kill('SIGCONT'),
  };
}
