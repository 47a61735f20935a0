export { SseSwaggerModule } from './sse-swagger.module.js';
