export {
  FinishedOptions,
  HistoryOptions,
  SseChannelDeclaration,
  SseModuleOptions,
} from './sse-module-options.js';
