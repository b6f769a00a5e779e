import { afterEach, describe, expect, it } from 'vitest';
import { createFlowMeter } from '../../src/flows/flow-meter.ts';
import { FlowExpiryTimer } from '../../src/flows/flow-expiry-timer.ts';
import type { FlowRecord } from '../../src/flows/flow-record.ts';
import { feed } from './synthetic-packets.ts';
import { BASE_US } from './synthetic-packets.ts';

const timers: FlowExpiryTimer[] = [];
afterEach(async () => {
  for (const timer of timers.splice(0)) await timer.close();
});

async function waitFor(condition: () => boolean, deadlineMs: number): Promise<void> {
  const until = Date.now() + deadlineMs;
  while (!condition()) {
    if (Date.now() > until) throw new Error(`condition not met within ${deadlineMs} ms`);
    await new Promise((resolve) => setTimeout(resolve, 10));
  }
}

describe('live expiry from the wall clock', () => {
  it('exports a silent flow after idle plus a tick', async () => {
    const records: FlowRecord[] = [];
    const meter = createFlowMeter({ idleTimeoutMs: { udp: 1_000 } }, (record) => records.push(record));
    const tickMs = 100;
    const timer = new FlowExpiryTimer(meter, { tickMs });
    timers.push(timer);
    await timer.start();

    const sentAtMs = Date.now();
    // The synthetic packet's time is set to the wall clock, as a live capture stamps it.
    feed([{ t: sentAtMs * 1000 - BASE_US, src: '10.0.0.1', dst: '10.0.0.2', sport: 5000, dport: 53, protocol: 17, pl: 20 }], (packet) =>
      meter.ingest(packet),
    );
    await waitFor(() => records.length > 0, 5_000);
    const elapsedMs = Date.now() - sentAtMs;

    expect(records[0].exportReason).toBe('idle');
    expect(elapsedMs).toBeGreaterThanOrEqual(1_000);
    // One tick of slack for the timer and 400 ms for a loaded machine.
    expect(elapsedMs).toBeLessThan(1_000 + tickMs + 400);
  });

  it('stops the timer on close', async () => {
    const meter = createFlowMeter({}, () => undefined);
    const timer = new FlowExpiryTimer(meter, { tickMs: 50 });
    await timer.start();
    await timer.close();
    expect(timer.state).toBe('closed');
  });
});
