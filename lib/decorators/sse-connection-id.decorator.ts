import { admissionParam } from './admission-param.js';

/**
 * Injects the id of the connection being opened, as `ConnectionRegistry` and
 * `BroadcastService.sendTo()` know it. Send it to the client (e.g. in a first event) so its
 * later requests can name their stream, for `exclude` or targeted replies.
 *
 * @example
 * \@SseChannel('rooms/:room')
 * join(@SseConnectionId() id: string) {
 *   return of({ event: 'welcome', data: { connectionId: id } });
 * }
 */
export const SseConnectionId = admissionParam(
  '@SseConnectionId()',
  (admission) => admission.connection.id,
);
