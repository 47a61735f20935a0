export {
  createSseTestApp,
  SseTestApp,
  type SseOpenOptions,
  type SseTestAppOptions,
  type SseTestTarget,
} from './sse-test-app.js';
export {
  recordStream,
  SseTestStream,
  type SseRecordOptions,
  type SseWaitOptions,
} from './sse-test-stream.js';
