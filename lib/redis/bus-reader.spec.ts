import { describe, expect, it } from '@jest/globals';
import { Logger } from '@nestjs/common';
import type { OutboundFrame, SseLocalDelivery } from '../backends/index.js';
import { openEventHeader, openFinishHeader } from './bus-message.js';
import { BusReader } from './bus-reader.js';
import { ChannelFeed } from './channel-feed.js';
import type { ClusterDirectory } from './cluster-directory.js';
import { OwnDeliveries } from './own-deliveries.js';
import { RedisKeys } from './redis-keys.js';
import type { ShardSubscriber } from './shard-subscriber.js';

const CHANNEL = 'rooms/late';

/** What the reader handed to the local streams, in order. */
type Handed = Array<{ kind: 'event' | 'finish'; position?: string }>;

/** A local delivery that records, with one stream on every channel. */
function recordingDelivery(handed: Handed): SseLocalDelivery {
  const none = () => 0;
  return {
    toChannel: (_channel: string, frame: OutboundFrame) => {
      handed.push({ kind: 'event', position: frame.position });
      return 1;
    },
    finishChannel: (_channel: string, last: OutboundFrame | undefined) => {
      handed.push({ kind: 'finish', position: last?.position });
      return 1;
    },
    toConnection: none,
    toUser: none,
    disconnectChannel: none,
    snapshot: () => ({ connections: 1, channels: {}, users: {} }),
    list: () => [],
    watchChannels: () => () => undefined,
  };
}

/** Subscriptions Redis confirms at once. */
const confirming: ShardSubscriber = {
  canSubscribe: () => true,
  subscribe: () => Promise.resolve(),
  unsubscribe: () => undefined,
  resubscribe: () => Promise.resolve(new Map()),
  status: 'ready',
  listen: () => undefined,
  disconnect: () => undefined,
};

/** A message as the publish script sends it: the open header, the position, the frame. */
const published = (header: string, position: string) =>
  Buffer.from(`${header},"p":"${position}"}\nid: ${position}\ndata: x\n\n`);
const event = (position: string) =>
  published(openEventHeader(CHANNEL, [], '', 'another'), position);
const finish = (position: string) => published(openFinishHeader(CHANNEL, 'another'), position);

describe('BusReader', () => {
  const setUp = () => {
    const own = new OwnDeliveries();
    const feed = new ChannelFeed(confirming, new RedisKeys('sse:'), own);
    const handed: Handed = [];
    const reader = new BusReader({
      delivery: recordingDelivery(handed),
      own,
      directory: {} as ClusterDirectory,
      feed,
      instanceId: 'this',
      logger: new Logger('test'),
    });
    feed.joined(CHANNEL);
    return { feed, reader, handed };
  };

  it('hands on what its channel has not had, and skips what a catch-up handed before its message came', () => {
    const { feed, reader, handed } = setUp();
    reader.receive(event('100-1'));
    // A catch-up read 100-2 and 100-3 from Redis and handed them on.
    feed.advance(CHANNEL, '100-3');
    for (const position of ['100-2', '100-3', '100-4']) reader.receive(event(position));
    expect(handed).toEqual([
      { kind: 'event', position: '100-1' },
      { kind: 'event', position: '100-4' },
    ]);
  });

  it('ends the streams of a finished channel without its final event again, once it was handed', () => {
    const { feed, reader, handed } = setUp();
    feed.advance(CHANNEL, '100-3');
    reader.receive(finish('100-3'));
    expect(handed).toEqual([{ kind: 'finish', position: undefined }]);
  });
});
