import type { INestApplication, LoggerService, ModuleMetadata } from '@nestjs/common';
import { NestFactory } from '@nestjs/core';
import { ExpressAdapter } from '@nestjs/platform-express';
import { FastifyAdapter } from '@nestjs/platform-fastify';

export type AdapterName = 'express' | 'fastify';
export const ADAPTERS: AdapterName[] = ['express', 'fastify'];

/** Log lines an app wrote, for tests that check what is (and is not) logged. */
export class CapturedLogs implements LoggerService {
  readonly lines: string[] = [];
  log(...parts: unknown[]): void {
    this.push('log', parts);
  }
  error(...parts: unknown[]): void {
    this.push('error', parts);
  }
  warn(...parts: unknown[]): void {
    this.push('warn', parts);
  }
  debug(...parts: unknown[]): void {
    this.push('debug', parts);
  }
  verbose(...parts: unknown[]): void {
    this.push('verbose', parts);
  }
  text(): string {
    return this.lines.join('\n');
  }
  private push(level: string, parts: unknown[]): void {
    this.lines.push(`${level} ${parts.map(format).join(' ')}`);
  }
}

function format(part: unknown): string {
  if (typeof part === 'string') return part;
  // Errors may come from another realm (Jest's module VM), where instanceof fails.
  const error = part as { stack?: unknown; message?: unknown } | null;
  if (typeof error?.stack === 'string') return error.stack;
  return JSON.stringify(part);
}

export interface RunningApp {
  readonly app: INestApplication;
  readonly url: string;
  readonly logs: CapturedLogs;
  close(): Promise<void>;
}

/**
 * Starts `module` on a real port of 127.0.0.1 with the given adapter; `configure` runs before
 * `listen()` (middleware, Fastify plugins).
 */
export async function startApp(
  module: NonNullable<ModuleMetadata['imports']>[number],
  adapter: AdapterName,
  configure?: (app: INestApplication) => void | Promise<void>,
): Promise<RunningApp> {
  const logs = new CapturedLogs();
  const httpAdapter = adapter === 'express' ? new ExpressAdapter() : new FastifyAdapter();
  const app = await NestFactory.create(module as never, httpAdapter, {
    logger: logs,
    abortOnError: false,
  });
  await configure?.(app);
  await app.listen(0, '127.0.0.1');
  const url = (await app.getUrl()).replace('[::1]', '127.0.0.1');
  return { app, url, logs, close: () => app.close() };
}
