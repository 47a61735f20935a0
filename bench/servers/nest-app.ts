import type { INestApplication } from '@nestjs/common';
import { NestFactory } from '@nestjs/core';
import { HOST } from '../config.js';

/** The HTTP adapter a Nest application of the benchmark runs on. */
export type NestPlatform = 'express' | 'fastify';

/**
 * A Nest application listening on the loopback interface, on Express (Nest's default) or
 * Fastify. The Fastify adapter is imported only by the processes that run on it, so it is in
 * no Express process's memory figures.
 */
export async function listenNestApp(
  module: Parameters<typeof NestFactory.create>[0],
  platform: NestPlatform,
): Promise<INestApplication> {
  const options = { logger: ['error', 'warn'] as ('error' | 'warn')[] };
  const app =
    platform === 'express'
      ? await NestFactory.create(module, options)
      : await NestFactory.create(
          module,
          new (await import('@nestjs/platform-fastify')).FastifyAdapter(),
          options,
        );
  await app.listen(0, HOST);
  return app;
}
