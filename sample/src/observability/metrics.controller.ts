import { Controller, Get, Req, Res } from '@nestjs/common';
import type { IncomingMessage, ServerResponse } from 'node:http';
import { SampleTelemetry } from './sample-telemetry.js';

/** Prometheus scrapes the library's metrics here (text exposition format). */
@Controller('metrics')
export class MetricsController {
  constructor(private readonly telemetry: SampleTelemetry) {}

  @Get()
  scrape(@Req() request: IncomingMessage, @Res() response: ServerResponse): void {
    this.telemetry.exporter.getMetricsRequestHandler(request, response);
  }
}
