import { Socket } from 'node:net';

/**
 * Counts the writes this process hands to the kernel on the sockets its HTTP server accepted
 * (`_write()` for one chunk, `_writev()` for what a cork held): what a client receives in how
 * many system calls, without the process's other writes (Redis commands, logs, the event loop's
 * own wake-ups) that `/proc/<pid>/io` counts too.
 */
export function countAcceptedSocketWrites(): () => number {
  let writes = 0;
  const proto = Socket.prototype as Socket & {
    _write: (...args: unknown[]) => void;
    _writev: (...args: unknown[]) => void;
  };
  const { _write: write, _writev: writev } = proto;
  // Accepted sockets carry the server that accepted them; client sockets (ioredis) do not.
  const accepted = (socket: Socket) => (socket as Socket & { server?: unknown }).server != null;
  proto._write = function (this: Socket, ...args: unknown[]) {
    if (accepted(this)) writes++;
    write.apply(this, args);
  };
  proto._writev = function (this: Socket, ...args: unknown[]) {
    if (accepted(this)) writes++;
    writev.apply(this, args);
  };
  return () => writes;
}
