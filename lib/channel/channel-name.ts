import { SseChannelNameError } from '../errors/sse-channel-name.error.js';
import { MAX_CHANNEL_NAME_LENGTH } from '../sse.constants.js';

// Control characters would corrupt log lines, registry labels and backend keys.
// eslint-disable-next-line no-control-regex
const CONTROL = /[\u0000-\u001f\u007f]/;

/** True for a usable channel name: 1 to 200 characters, none of them a control character. */
export function isValidChannelName(name: unknown): name is string {
  return (
    typeof name === 'string' &&
    name.length > 0 &&
    name.length <= MAX_CHANNEL_NAME_LENGTH &&
    !CONTROL.test(name)
  );
}

/** Returns `name` if it is a valid channel name; throws {@link SseChannelNameError} otherwise. */
export function checkedChannelName(name: unknown): string {
  if (!isValidChannelName(name)) throw new SseChannelNameError(name);
  return name;
}
