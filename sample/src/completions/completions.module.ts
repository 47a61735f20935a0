import { Module } from '@nestjs/common';
import { CompletionStore } from './completion-store.js';
import { CompletionsController } from './completions.controller.js';

@Module({ controllers: [CompletionsController], providers: [CompletionStore] })
export class CompletionsModule {}
