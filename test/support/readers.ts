import { fork, type ChildProcess } from 'node:child_process';

export interface ReadersDone {
  readonly type: 'done';
  /** Per reader, the events it received by event type (`message` for unnamed ones). */
  readonly counts: ReadonlyArray<Readonly<Record<string, number>>>;
}

export interface Readers {
  readonly child: ChildProcess;
  /** Resolves once every stream has received its headers. */
  readonly ready: Promise<void>;
  /** Resolves once every stream has received an `end` event, with what each received. */
  readonly done: Promise<ReadersDone>;
}

/** Opens `count` streams to `url` from another process, so they do not share the server's loop. */
export function startReaders(url: string, count: number): Readers {
  const child = fork(new URL('./sse-readers.child.mjs', import.meta.url));
  const done = new Promise<ReadersDone>((resolve, reject) => {
    child.on('message', (message: { type: string; message?: string }) => {
      if (message.type === 'done') resolve(message as ReadersDone);
      if (message.type === 'error') reject(new Error(message.message));
    });
    child.on('exit', (code) => code !== 0 && reject(new Error(`readers exited with ${code}`)));
  });
  const ready = new Promise<void>((resolve) =>
    child.on('message', (message: { type: string }) => message.type === 'ready' && resolve()),
  );
  child.send({ url, count });
  return { child, ready, done };
}
