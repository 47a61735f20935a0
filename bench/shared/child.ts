import { now } from './clock.js';
import type { ChildInit, ChildMessage, OpsShape, ParentMessage } from './protocol.js';

export type Handlers<Ops extends OpsShape<Ops>> = {
  [K in keyof Ops]: (args: Ops[K]['args']) => Ops[K]['result'] | Promise<Ops[K]['result']>;
};

/** The init argument the orchestrator passes to every child. */
export function readInit<TSpec>(): ChildInit<TSpec> {
  const raw = process.argv[2];
  if (raw === undefined) throw new Error('benchmark child started without its init argument');
  return JSON.parse(raw) as ChildInit<TSpec>;
}

/**
 * Answers the orchestrator's calls with `handlers` and bounds this process's life: it exits when
 * told to, when the orchestrator goes away (the IPC channel closes), or after `lifetimeMs`.
 */
export function serveParent<Ops extends OpsShape<Ops>>(
  handlers: Handlers<Ops>,
  lifetimeMs: number,
): void {
  const send = (message: ChildMessage): void => {
    process.send?.(message);
  };
  process.on('message', (message: ParentMessage) => {
    if (message.type === 'exit') process.exit(0);
    if (message.type === 'clock') {
      send({ type: 'clock', id: message.id, at: now() });
      return;
    }
    const handler = handlers[message.op as keyof Ops] as ((args: unknown) => unknown) | undefined;
    if (!handler) {
      send({ type: 'fail', id: message.id, message: `unknown operation ${message.op}` });
      return;
    }
    Promise.resolve()
      .then(() => handler(message.args))
      .then(
        (result) => send({ type: 'reply', id: message.id, result }),
        (error: unknown) =>
          send({
            type: 'fail',
            id: message.id,
            message: error instanceof Error ? error.message : String(error),
          }),
      );
  });
  process.on('disconnect', () => process.exit(0));
  // unref(): the watchdog must not be what keeps an otherwise finished process alive.
  setTimeout(() => {
    console.error(`benchmark child ${process.pid} exceeded its ${lifetimeMs} ms lifetime`);
    process.exit(3);
  }, lifetimeMs).unref();
}

export function announceReady(info: unknown): void {
  process.send?.({ type: 'ready', info } satisfies ChildMessage);
}
