import { handlerParam } from '../channel/sse-handler-params.js';

/**
 * Injects the id of the connection being opened, as `ConnectionRegistry` and
 * `BroadcastService.sendTo()` know it. Send it to the client (e.g. in a first event) so its
 * later requests can name their stream, for `exclude` or targeted replies. Only for
 * `@SseChannel()` methods (checked at boot).
 *
 * @example
 * \@SseChannel('rooms/:room')
 * join(@SseConnectionId() id: string) {
 *   return concat(of({ event: 'welcome', data: { connectionId: id } }), NEVER);
 * }
 */
export const SseConnectionId = (): ParameterDecorator => handlerParam('connectionId');
