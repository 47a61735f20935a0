export {
  createSseTestApp,
  SseTestApp,
  type SseOpenOptions,
  type SseTestAppOptions,
  type SseTestTarget,
} from './sse-test-app.js';
export {
  recordStream,
  SseRecording,
  type SseRecordOptions,
  type SseWaitOptions,
} from './sse-recording.js';
