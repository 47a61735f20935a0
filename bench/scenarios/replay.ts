import type { PublishTimes } from '../shared/protocol.js';
import { max, median } from '../shared/stats.js';
import { serverWithStreams } from './measure.js';
import { formatCount, formatMs, type Scenario } from './scenario.js';

/**
 * Last-Event-ID replay: `connections` streams go away, `missed` events are published meanwhile,
 * and all come back at once (as after a network blip or a deploy) with the id of the last event
 * they had. A round's figure is the time from the first reconnection attempt to the read that
 * completed the last missed event on the last stream, so it includes reconnecting: the connect
 * rate scenario shows that part alone.
 */
export const replayScenario: Scenario = {
  id: 'replay',
  title: 'Last-Event-ID replay',
  isolatesServer: true,
  metrics: [
    { key: 'catchUpMs', label: 'all caught up', better: 'lower', format: formatMs },
    { key: 'replayedPerSecond', label: 'replayed events/s', better: 'higher', format: formatCount },
  ],
  describe: ({ replay: p }) =>
    `${formatCount(p.connections)} connections reconnect with Last-Event-ID after ${p.missed} ` +
    `events published while away, median of ${p.rounds} rounds after ${p.warmupRounds} warm-up`,
  async run(context) {
    const { params } = context;
    const p = params.replay;
    const { server, clients, gate } = await serverWithStreams(context, p.connections);
    // Every stream has this event (collect checks), so each would resume after it.
    const [, first] = await Promise.all([clients.collect(1), server.publish(1, 1)]);
    let lastId = publishedId(first);

    const catchUp: number[] = [];
    const slowdowns: number[] = [];
    const reconnect = async (lastEventId: string): Promise<number> => {
      const { startedAt } = await clients.open(
        server,
        p.connections,
        params.openConcurrency,
        lastEventId,
      );
      // The streams are new: their count starts at 0, and only the replay brings it to `missed`.
      const received = await clients.collect(p.missed);
      return max(received.times) - startedAt;
    };
    const oneRound = async (measure: (reconnecting: () => Promise<number>) => Promise<number>) => {
      await clients.close();
      await server.waitForSubscribers(0);
      // All in one tick: how they were published is no part of the figure.
      const missed = await server.publish(p.missed, p.missed);
      const ms = await measure(() => reconnect(lastId));
      await server.waitForSubscribers(p.connections);
      lastId = publishedId(missed);
      return ms;
    };
    for (let round = 0; round < p.warmupRounds; round++)
      await oneRound((reconnecting) => reconnecting());
    while (catchUp.length < p.rounds) {
      const { value, slowdown } = await gate.round(() =>
        oneRound((reconnecting) => context.deployment.cpu.measure('replay', reconnecting)),
      );
      catchUp.push(value);
      slowdowns.push(slowdown);
    }
    const replayed = p.connections * p.missed;
    const catchUpMs = median(catchUp);
    return {
      metrics: { catchUpMs, replayedPerSecond: replayed / (catchUpMs / 1000) },
      details: {
        replayedPerRound: replayed,
        catchUpPerRoundMs: catchUp,
        cpuSlowdownPerRound: slowdowns,
      },
    };
  },
};

function publishedId(times: PublishTimes): string {
  if (times.lastId === undefined) throw new Error('the server reported no id for its last event');
  return times.lastId;
}
