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
