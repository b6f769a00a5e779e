import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { LivePacketSource } from '../../src/capture/index.ts';
import { createFlowMeter } from '../../src/flows/flow-meter.ts';
import { FlowExpiryTimer } from '../../src/flows/flow-expiry-timer.ts';
import type { FlowRecord } from '../../src/flows/flow-record.ts';
import type { FlowBatchPayload } from '../../src/flows/capture-consumer.ts';
import { canUseNamespaces, TestNetwork } from '../helpers/netns.ts';

const namespacesAvailable = await canUseNamespaces();
if (!namespacesAvailable) process.stderr.write('flow meter on live capture: skipped because network namespaces need root and iproute2\n');

const UDP_PORT = 40_101;
const TICK_MS = 100;

async function waitFor(check: () => boolean, timeoutMs: number): Promise<boolean> {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    if (check()) return true;
    await new Promise((resolve) => setTimeout(resolve, 10));
  }
  return check();
}

describe.skipIf(!namespacesAvailable)('flow meter on a live veth capture', () => {
  const network = new TestNetwork();
  let peerNs = '';
  let localDevice = '';
  let localAddress = '';
  let peerAddress = '';

  beforeAll(async () => {
    const octet = 1 + (parseInt(network.suffix, 16) % 250);
    localAddress = `10.214.${octet}.1`;
    peerAddress = `10.214.${octet}.2`;
    peerNs = await network.addNamespace('flw');
    [localDevice] = await network.addLink({ name: 'fgflw', address: `${localAddress}/30` }, { ns: peerNs, name: 'fgflp', address: `${peerAddress}/30` });
  });

  afterAll(async () => {
    await network.destroy();
  });

  it('exports a silent flow one idle timeout later', async () => {
    const records: Array<{ record: FlowRecord; exportedAtMs: number }> = [];
    const meter = createFlowMeter({ idleTimeoutMs: { udp: 1_000 } }, (record) => records.push({ record, exportedAtMs: Date.now() }));
    const timer = new FlowExpiryTimer(meter, { tickMs: TICK_MS });
    const source = new LivePacketSource({ device: localDevice, filter: `udp and port ${UDP_PORT}`, flushIntervalMs: 20, onPacket: (packet) => meter.ingest(packet) });
    try {
      await source.start();
      await timer.start();
      const script = `
        const udp = require('node:dgram').createSocket('udp4');
        udp.send(Buffer.alloc(32, 1), ${UDP_PORT}, '${localAddress}', () => udp.close());
      `;
      const sent = await network.exec(peerNs, process.execPath, ['-e', script], { timeout: 10_000 });
      expect(sent.exitCode, String(sent.stderr)).toBe(0);

      expect(await waitFor(() => records.length > 0, 5_000)).toBe(true);
      const { record, exportedAtMs } = records[0];
      const delayMs = exportedAtMs - record.endUs / 1000;
      expect(record.exportReason).toBe('idle');
      expect(record.srcAddr).toBe(peerAddress);
      expect(record.dstPort).toBe(UDP_PORT);
      expect(record.features[4]).toBe(32);
      expect(delayMs).toBeGreaterThanOrEqual(1_000);
      // One timer tick, the capture batch interval and 400 ms for a loaded machine.
      expect(delayMs).toBeLessThan(1_000 + TICK_MS + 20 + 400);
    } finally {
      await timer.close();
      await source.close();
    }
  });

  it('runs the meter inside the capture process', async () => {
    const records: FlowRecord[] = [];
    let packets = 0;
    const source = new LivePacketSource({
      device: localDevice,
      filter: `udp and port ${UDP_PORT + 1}`,
      flushIntervalMs: 50,
      consumer: { module: new URL('../../src/flows/capture-consumer.ts', import.meta.url), options: { flows: { idleTimeoutMs: { udp: 1_000 } } } },
      onConsumerMessage: (payload) => {
        const batch = payload as FlowBatchPayload;
        packets += batch.packets;
        records.push(...batch.flows);
      },
    });
    try {
      await source.start();
      const script = `
        const udp = require('node:dgram').createSocket('udp4');
        udp.send(Buffer.alloc(48, 1), ${UDP_PORT + 1}, '${localAddress}', () => udp.send(Buffer.alloc(16, 1), ${UDP_PORT + 1}, '${localAddress}', () => udp.close()));
      `;
      const sent = await network.exec(peerNs, process.execPath, ['-e', script], { timeout: 10_000 });
      expect(sent.exitCode, String(sent.stderr)).toBe(0);
      expect(await waitFor(() => records.length > 0, 5_000)).toBe(true);
    } finally {
      await source.close();
    }
    expect(records).toHaveLength(1);
    expect(records[0].exportReason).toBe('idle');
    expect(records[0].features).toBeInstanceOf(Float64Array);
    expect(records[0].features[2]).toBe(2);
    expect(records[0].features[4]).toBe(64);
    expect(records[0].features.length).toBe(78);
    expect(packets).toBe(2);
  });
});
