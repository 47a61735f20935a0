import { Module } from '@nestjs/common';
import { BackendController } from './backend.controller.js';
import { PagesController } from './pages.controller.js';

@Module({ controllers: [PagesController, BackendController] })
export class PagesModule {}
