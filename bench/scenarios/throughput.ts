import { max, median, min } from '../shared/stats.js';
import { formatBytes, formatCount, sleep, type Scenario } from './scenario.js';

/**
 * Fan-out throughput: `connections` streams, bursts of `messages` events. A burst's rate is the
 * frames all clients received divided by the time from the server's first publish call to the
 * read that completed the last frame anywhere. The figure is the median over the measured bursts.
 */
export const throughputScenario: Scenario = {
  id: 'throughput',
  title: 'fan-out throughput',
  metrics: [
    {
      key: 'deliveriesPerSecond',
      label: 'deliveries/s',
      better: 'higher',
      format: formatCount,
    },
    {
      key: 'wireBytesPerEvent',
      label: 'wire bytes/event',
      better: 'lower',
      format: formatBytes,
    },
  ],
  describe: ({ throughput: p }) =>
    `${formatCount(p.connections)} connections x ${p.messages} messages x 256 B, median of ` +
    `${p.bursts} bursts after ${p.warmupBursts} warm-up`,
  async run({ deployment, spec, params }) {
    const p = params.throughput;
    const server = await deployment.startServer(spec);
    const clients = await deployment.startClients(params.clientProcesses);
    await clients.open(server, p.connections, params.openConcurrency);
    await server.waitForSubscribers(p.connections);

    const deliveries = p.connections * p.messages;
    const rates: number[] = [];
    const wireBytes: number[] = [];
    let bytesBefore = (await clients.collect(0)).bodyBytes;
    let target = 0;
    for (let burst = 0; burst < p.warmupBursts + p.bursts; burst++) {
      target += p.messages;
      const [received, published] = await Promise.all([
        clients.collect(target),
        server.publish(p.messages),
      ]);
      if (burst >= p.warmupBursts) {
        const elapsedMs = max(received.times) - published.firstAt;
        rates.push(deliveries / (elapsedMs / 1000));
        wireBytes.push((received.bodyBytes - bytesBefore) / deliveries);
      }
      bytesBefore = received.bodyBytes;
      await sleep(p.pauseMs);
    }
    return {
      metrics: { deliveriesPerSecond: median(rates), wireBytesPerEvent: median(wireBytes) },
      details: {
        deliveriesPerBurst: deliveries,
        ratesPerBurst: rates,
        minRate: min(rates),
        maxRate: max(rates),
      },
    };
  },
};
