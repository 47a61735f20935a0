import 'reflect-metadata';
import { ValidationPipe } from '@nestjs/common';
import { NestFactory } from '@nestjs/core';
import { AppModule } from './app.module.js';
import { readSampleConfig } from './sample-config.js';

async function bootstrap(): Promise<void> {
  const config = readSampleConfig();
  const app = await NestFactory.create(AppModule.register(config));
  app.useGlobalPipes(new ValidationPipe({ whitelist: true, forbidNonWhitelisted: true }));
  // Streams get the shutdown event and end cleanly on Ctrl+C or a container stop.
  app.enableShutdownHooks();
  await app.listen(config.port, config.host);
  const backend = config.redisUrl ? `Redis at ${config.redisUrl}` : 'in-memory backend';
  console.log(`nestjs-sse-channels sample (${backend}): open ${await app.getUrl()}`);
}

void bootstrap();
