export {
  FinishedOptions,
  HistoryOptions,
  SseChannelDeclaration,
  SseMetricsOptions,
  SseModuleOptions,
} from './sse-module-options.js';
