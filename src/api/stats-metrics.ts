import { Counter, Gauge, type Registry } from 'prom-client';
import type { GatewayStats } from './services.ts';

/** How long one stats snapshot serves the collectors of one scrape. */
const SNAPSHOT_TTL_MS = 250;

type Read = (stats: GatewayStats) => number;
type ReadLabelled = (stats: GatewayStats) => Record<string, number>;

/**
 * Registers Prometheus metrics that mirror `GatewayStats`, read from `readStats` at scrape time.
 * With it, every `GatewayServices` serves the same /metrics names with one line. A gateway whose
 * components keep their own prom-client counters under these names does not call it.
 */
export function registerStatsMetrics(registry: Registry, readStats: () => Promise<GatewayStats>): void {
  let snapshot: { atMs: number; stats: Promise<GatewayStats> } | undefined;
  const current = (): Promise<GatewayStats> => {
    const nowMs = Date.now();
    if (!snapshot || nowMs - snapshot.atMs > SNAPSHOT_TTL_MS) snapshot = { atMs: nowMs, stats: readStats() };
    return snapshot.stats;
  };
  const registers = [registry];

  // Counters mirror totals kept elsewhere, so each scrape resets them and adds the total again.
  const counter = (name: string, help: string, read: Read) =>
    new Counter({
      name, help, registers,
      async collect() {
        const value = read(await current());
        this.reset();
        this.inc(value);
      },
    });
  const labelledCounter = (name: string, help: string, label: string, read: ReadLabelled) =>
    new Counter({
      name, help, registers, labelNames: [label],
      async collect() {
        const values = read(await current());
        this.reset();
        for (const [key, value] of Object.entries(values)) this.inc({ [label]: key }, value);
      },
    });

  counter('flowguard_packets_total', 'Packets captured.', (stats) => stats.packets);
  counter('flowguard_bytes_total', 'Bytes captured (wire length).', (stats) => stats.bytes);
  counter('flowguard_flows_total', 'Flows exported by the flow meter.', (stats) => stats.flows);
  labelledCounter('flowguard_verdicts_total', 'Flows scored by the model, by label.', 'label', (stats) => stats.verdicts);
  new Gauge({
    name: 'flowguard_active_blocks', help: 'Blocks in force now.', registers,
    async collect() {
      this.set((await current()).activeBlocks);
    },
  });
  labelledCounter('flowguard_dropped_packets_total', 'Packets dropped by each nftables set.', 'set', (stats) =>
    Object.fromEntries(Object.entries(stats.dropsBySet).map(([set, drops]) => [set, drops.packets])),
  );
  labelledCounter('flowguard_dropped_bytes_total', 'Bytes dropped by each nftables set.', 'set', (stats) =>
    Object.fromEntries(Object.entries(stats.dropsBySet).map(([set, drops]) => [set, drops.bytes])),
  );
  counter('flowguard_capture_drops_total', 'Packets the capture lost.', (stats) => stats.captureDrops);
  new Gauge({
    name: 'flowguard_queue_depth', help: 'Entries waiting in each bounded queue.', labelNames: ['queue'], registers,
    async collect() {
      const stats = await current();
      this.reset();
      for (const [queue, depth] of Object.entries(stats.queueDepths)) this.set({ queue }, depth);
    },
  });
  labelledCounter('flowguard_evictions_total', 'Entries evicted from each bounded table.', 'table', (stats) => stats.evictions);
}
