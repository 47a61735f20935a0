/**
 * Source text, for a child Node process that runs without TypeScript: a controller with one
 * `@SseChannel('feed')` method (what TypeScript emits for the decorator on a method without
 * parameters) and `AppModule` importing `SseModule.forRoot()`. The script that embeds it imports
 * `Controller`, `Module`, `SseChannel` and `SseModule` (ESM or CommonJS) and `reflect-metadata`.
 */
export const FEED_APP_SOURCE = `
class FeedController { feed() {} }
Reflect.defineMetadata('design:paramtypes', [], FeedController.prototype, 'feed');
Object.defineProperty(FeedController.prototype, 'feed', Reflect.decorate([SseChannel('feed')],
  FeedController.prototype, 'feed', Object.getOwnPropertyDescriptor(FeedController.prototype, 'feed')));
Controller()(FeedController);
class AppModule {}
Module({ imports: [SseModule.forRoot()], controllers: [FeedController] })(AppModule);
`;

/**
 * Statements (with `await`, for an async function or an ES module) that boot `AppModule`, open
 * a stream on /feed with the client, publish `data` to it, print `received <data>` once the
 * stream has it, and close the app. The script also needs `NestFactory`, `BroadcastService` and
 * `connect`.
 */
export function feedRoundTrip(data: string): string {
  return `
const app = await NestFactory.create(AppModule, { logger: false });
await app.listen(0, '127.0.0.1');
const stream = connect((await app.getUrl()) + '/feed');
await stream.opened();
await app.get(BroadcastService).publish('feed', { data: ${JSON.stringify(data)} });
for await (const message of stream) { console.log('received', message.data); break; }
await app.close();
`;
}
