import { randomBytes } from 'node:crypto';

/** What the sample reads from its environment; every variable is optional. */
export interface SampleConfig {
  readonly port: number;
  readonly host: string;
  /** Set to share channels, history and counts with other instances through Redis. */
  readonly redisUrl: string | undefined;
  /** Signs the session cookie. Instances behind one load balancer must share it. */
  readonly sessionSecret: string;
}

export const SAMPLE_CONFIG = Symbol('SAMPLE_CONFIG');

export function readSampleConfig(env: NodeJS.ProcessEnv = process.env): SampleConfig {
  const port = Number(env.PORT ?? 3000);
  if (!Number.isInteger(port) || port < 0 || port > 65_535)
    throw new Error(`PORT must be an integer from 0 to 65535, got "${env.PORT}"`);
  return {
    port,
    host: env.HOST ?? '127.0.0.1',
    redisUrl: env.SSE_REDIS_URL || undefined,
    // A random secret signs out everyone on restart, which is fine for one local instance.
    sessionSecret: env.SESSION_SECRET || randomBytes(32).toString('hex'),
  };
}
