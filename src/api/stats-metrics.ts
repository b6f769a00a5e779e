import { Counter, Gauge, type Registry } from 'prom-client';
import type { GatewayStats } from './services.ts';

/** How long one stats snapshot serves the collectors of one scrape. */
const SNAPSHOT_TTL_MS = 250;

/**
 * Registers Prometheus metrics that mirror `GatewayStats`, read from `readStats` at scrape time.
 * A gateway whose components keep their own prom-client counters need not call this; it exists
 * so that every `GatewayServices` can serve the same /metrics names with one line.
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
  new Counter({
    name: 'flowguard_packets_total', help: 'Packets captured.', registers,
    async collect() { this.reset(); this.inc((await current()).packets); },
  });
  new Counter({
    name: 'flowguard_bytes_total', help: 'Bytes captured (wire length).', registers,
    async collect() { this.reset(); this.inc((await current()).bytes); },
  });
  new Counter({
    name: 'flowguard_flows_total', help: 'Flows exported by the flow meter.', registers,
    async collect() { this.reset(); this.inc((await current()).flows); },
  });
  new Counter({
    name: 'flowguard_verdicts_total', help: 'Flows scored by the model, by label.', labelNames: ['label'], registers,
    async collect() {
      const stats = await current();
      this.reset();
      for (const [label, count] of Object.entries(stats.verdicts)) this.inc({ label }, count);
    },
  });
  new Gauge({
    name: 'flowguard_active_blocks', help: 'Blocks in force now.', registers,
    async collect() { this.set((await current()).activeBlocks); },
  });
  new Counter({
    name: 'flowguard_dropped_packets_total', help: 'Packets dropped by each nftables set.', labelNames: ['set'], registers,
    async collect() {
      const stats = await current();
      this.reset();
      for (const [set, drops] of Object.entries(stats.dropsBySet)) this.inc({ set }, drops.packets);
    },
  });
  new Counter({
    name: 'flowguard_dropped_bytes_total', help: 'Bytes dropped by each nftables set.', labelNames: ['set'], registers,
    async collect() {
      const stats = await current();
      this.reset();
      for (const [set, drops] of Object.entries(stats.dropsBySet)) this.inc({ set }, drops.bytes);
    },
  });
  new Counter({
    name: 'flowguard_capture_drops_total', help: 'Packets the capture lost.', registers,
    async collect() { this.reset(); this.inc((await current()).captureDrops); },
  });
  new Gauge({
    name: 'flowguard_queue_depth', help: 'Entries waiting in each bounded queue.', labelNames: ['queue'], registers,
    async collect() {
      const stats = await current();
      this.reset();
      for (const [queue, depth] of Object.entries(stats.queueDepths)) this.set({ queue }, depth);
    },
  });
  new Counter({
    name: 'flowguard_evictions_total', help: 'Entries evicted from each bounded table.', labelNames: ['table'], registers,
    async collect() {
      const stats = await current();
      this.reset();
      for (const [table, count] of Object.entries(stats.evictions)) this.inc({ table }, count);
    },
  });
}
