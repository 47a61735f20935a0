import { Controller, Get, Req, Res } from '@nestjs/common';
import type { Request, Response } from 'express';
import { loadStaticFiles, PAGES, VENDOR } from './static-files.js';

/**
 * The demo pages, their stylesheet and the vendored htmx scripts. Each file has its own route,
 * so no pattern here can shadow an API route.
 */
@Controller()
export class PagesController {
  private readonly files = loadStaticFiles();

  @Get()
  index(@Res() res: Response): void {
    this.send(res, 'index.html');
  }

  @Get([...PAGES, ...Object.keys(VENDOR).map((name) => `vendor/${name}`)])
  file(@Req() req: Request, @Res() res: Response): void {
    this.send(res, req.path.slice(1));
  }

  private send(res: Response, name: string): void {
    const file = this.files.get(name);
    // Unreachable for the routes above; a plain 404 if the lists ever disagree.
    if (!file) return void res.sendStatus(404);
    res.type(file.contentType).send(file.body);
  }
}
