import 'reflect-metadata';
import { ValidationPipe } from '@nestjs/common';
import { NestFactory } from '@nestjs/core';
import { DocumentBuilder, SwaggerModule } from '@nestjs/swagger';
import { AppModule } from './app.module.js';
import { readSampleConfig } from './sample-config.js';

async function bootstrap(): Promise<void> {
  const config = readSampleConfig();
  const app = await NestFactory.create(AppModule.register(config));
  app.useGlobalPipes(new ValidationPipe({ whitelist: true, forbidNonWhitelisted: true }));
  // The API, SSE streams included, at /api (Swagger UI) and /api-json (OpenAPI).
  const api = new DocumentBuilder()
    .setTitle('nestjs-sse-channels sample')
    .setDescription('Chat, job progress, token streams and a live dashboard over SSE.')
    .build();
  SwaggerModule.setup('api', app, SwaggerModule.createDocument(app, api));
  // Streams get the shutdown event and end cleanly on Ctrl+C or a container stop.
  app.enableShutdownHooks();
  await app.listen(config.port, config.host);
  const backend = config.redisUrl ? `Redis at ${config.redisUrl}` : 'in-memory backend';
  console.log(`nestjs-sse-channels sample (${backend}): open ${await app.getUrl()}`);
}

void bootstrap();
