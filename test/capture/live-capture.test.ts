import { createServer, type Server } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { formatIPv4, LivePacketSource, type DecodedPacket } from '../../src/capture/index.ts';
import { canUseNamespaces, TestNetwork } from '../helpers/netns.ts';

const namespacesAvailable = await canUseNamespaces();
if (!namespacesAvailable) process.stderr.write('live capture: skipped because network namespaces need root and iproute2\n');

interface SeenPacket {
  src: string;
  dst: string;
  protocol: number;
  srcPort: number;
  dstPort: number;
  tcpFlags: number;
  payloadLength: number;
  ipTotalLength: number;
}

const UDP_PORT = 40_001;
const TCP_PORT = 40_002;
const UDP_PAYLOADS = [10, 200, 1000];

/** Polls `check` every 50 ms until it returns true or `timeoutMs` passes. */
async function waitFor(check: () => boolean, timeoutMs: number): Promise<boolean> {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    if (check()) return true;
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
  return check();
}

describe.skipIf(!namespacesAvailable)('live capture on a veth pair', () => {
  const network = new TestNetwork();
  let peerNs = '';
  let localDevice = '';
  let localAddress = '';
  let peerAddress = '';
  let server: Server | undefined;

  beforeAll(async () => {
    // A /30 picked from the random suffix keeps parallel runs on separate subnets.
    const octet = 1 + (parseInt(network.suffix, 16) % 250);
    localAddress = `10.213.${octet}.1`;
    peerAddress = `10.213.${octet}.2`;
    peerNs = await network.addNamespace('cap');
    [localDevice] = await network.addLink({ name: 'fgcap', address: `${localAddress}/30` }, { ns: peerNs, name: 'fgpeer', address: `${peerAddress}/30` });
    server = createServer((socket) => socket.pipe(socket));
    await new Promise<void>((resolve) => server!.listen(TCP_PORT, localAddress, resolve));
  });

  afterAll(async () => {
    server?.close();
    await network.destroy();
  });

  /** Sends the UDP datagrams and one echoed TCP exchange from the peer namespace to the local end. */
  async function sendTraffic(): Promise<void> {
    const script = `
      const dgram = require('node:dgram');
      const net = require('node:net');
      const udp = dgram.createSocket('udp4');
      const sizes = ${JSON.stringify(UDP_PAYLOADS)};
      let sent = 0;
      for (const size of sizes) udp.send(Buffer.alloc(size, 1), ${UDP_PORT}, '${localAddress}', () => { if (++sent === sizes.length) udp.close(); });
      const tcp = net.connect(${TCP_PORT}, '${localAddress}', () => tcp.end('hello'));
      tcp.on('data', () => {});
      tcp.on('close', () => process.exit(0));
      setTimeout(() => process.exit(3), 5000);
    `;
    const result = await network.exec(peerNs, process.execPath, ['-e', script], { timeout: 10_000 });
    expect(result.exitCode, String(result.stderr)).toBe(0);
  }

  it('decodes and counts known UDP and TCP packets', async () => {
    const seen: SeenPacket[] = [];
    const source = new LivePacketSource({
      device: localDevice,
      flushIntervalMs: 20,
      onPacket: (packet: DecodedPacket) => {
        if (packet.ipVersion !== 4) return;
        seen.push({
          src: formatIPv4(packet.src4),
          dst: formatIPv4(packet.dst4),
          protocol: packet.protocol,
          srcPort: packet.srcPort,
          dstPort: packet.dstPort,
          tcpFlags: packet.tcpFlags,
          payloadLength: packet.payloadLength,
          ipTotalLength: packet.ipTotalLength,
        });
      },
    });
    await source.start();
    try {
      expect(source.linkType).toBe(1);
      await sendTraffic();

      const udpFromPeer = () => seen.filter((p) => p.protocol === 17 && p.src === peerAddress && p.dstPort === UDP_PORT);
      const tcp = () => seen.filter((p) => p.protocol === 6 && (p.dstPort === TCP_PORT || p.srcPort === TCP_PORT));
      const complete = () => udpFromPeer().length === UDP_PAYLOADS.length && tcp().some((p) => p.tcpFlags & 0x01 && p.srcPort === TCP_PORT);
      expect(await waitFor(complete, 10_000)).toBe(true);

      expect(udpFromPeer().map((p) => p.payloadLength).sort((a, b) => a - b)).toEqual(UDP_PAYLOADS);
      expect(udpFromPeer().map((p) => p.ipTotalLength).sort((a, b) => a - b)).toEqual(UDP_PAYLOADS.map((size) => size + 28));
      const syn = tcp().find((p) => p.tcpFlags === 0x02);
      expect(syn).toMatchObject({ src: peerAddress, dst: localAddress, dstPort: TCP_PORT });
      expect(tcp().some((p) => p.tcpFlags === 0x12 && p.src === localAddress)).toBe(true);
      const data = tcp().filter((p) => p.payloadLength === 5);
      expect(data.length).toBe(2); // "hello" and its echo

      // Counts arrive with the flush tick; wait for them to cover every packet handed over.
      expect(await waitFor(() => source.counts().packetsRead >= seen.length, 5_000)).toBe(true);
      const counts = source.counts();
      expect(counts.protocols.udp).toBeGreaterThanOrEqual(UDP_PAYLOADS.length);
      expect(counts.protocols.tcp).toBeGreaterThanOrEqual(tcp().length);
      expect(counts.packetsSkipped).toBe(0);
      expect(counts.linkTypes.ethernet).toBe(counts.packetsRead);

      // Packets still in the kernel ring at a report count as lost until the next report.
      expect(await waitFor(() => source.captureLoss().estimatedLostPackets === 0, 5_000)).toBe(true);
      const loss = source.captureLoss();
      expect(loss.interfacePackets).toBeGreaterThanOrEqual(seen.length);
      expect(loss.packetsSeen).toBeGreaterThanOrEqual(seen.length);
      expect(loss.kernelDroppedPackets).toBe(0);
    } finally {
      await source.close();
    }
    expect(source.state).toBe('closed');
  });

  it('runs a filtered capture-side consumer', async () => {
    const messages: Array<{ final: boolean; counts: Record<string, number> }> = [];
    const source = new LivePacketSource({
      device: localDevice,
      filter: `udp port ${UDP_PORT}`,
      flushIntervalMs: 20,
      consumer: { module: new URL('./fixtures/port-count-consumer.ts', import.meta.url), options: { ports: [UDP_PORT] } },
      onConsumerMessage: (payload) => messages.push(payload as { final: boolean; counts: Record<string, number> }),
    });
    await source.start();
    try {
      await sendTraffic();
      const counted = () => messages.some((m) => m.counts[UDP_PORT] === UDP_PAYLOADS.length);
      expect(await waitFor(counted, 10_000)).toBe(true);
      // The BPF filter kept the TCP exchange out, and a filtered capture gives no loss estimate.
      expect(await waitFor(() => source.counts().packetsRead >= UDP_PAYLOADS.length, 5_000)).toBe(true);
      expect(source.counts().protocols).toEqual({ udp: source.counts().packetsRead });
      expect(source.captureLoss().estimatedLostPackets).toBeNull();
    } finally {
      await source.close();
    }
    expect(messages.at(-1)?.final).toBe(true);
  });

  it('accounts for every packet of a burst', async () => {
    const burstPackets = 20_000;
    let fromPeer = 0;
    let handed = 0;
    const source = new LivePacketSource({
      device: localDevice,
      flushIntervalMs: 20,
      onPacket: (packet) => {
        handed++;
        if (packet.protocol === 17 && packet.dstPort === UDP_PORT + 1) fromPeer++;
      },
    });
    await source.start();

    // A 10 ms timer on this thread measures how late the event loop runs during the burst.
    let maxTimerLateMs = 0;
    let expected = performance.now() + 10;
    const timer = setInterval(() => {
      maxTimerLateMs = Math.max(maxTimerLateMs, performance.now() - expected);
      expected = performance.now() + 10;
    }, 10);
    try {
      // Bounded in count (20,000 datagrams) and time (the sender exits after 20 s at the latest).
      const script = `
        const udp = require('node:dgram').createSocket('udp4');
        const payload = Buffer.alloc(64);
        let sent = 0;
        const sendBatch = () => {
          for (let i = 0; i < 500 && sent < ${burstPackets}; i++, sent++) udp.send(payload, ${UDP_PORT + 1}, '${localAddress}');
          if (sent < ${burstPackets}) setImmediate(sendBatch);
          else setTimeout(() => process.exit(0), 200);
        };
        sendBatch();
        setTimeout(() => process.exit(3), 20000);
      `;
      const result = await network.exec(peerNs, process.execPath, ['-e', script], { timeout: 30_000 });
      expect(result.exitCode, String(result.stderr)).toBe(0);

      // Every packet the interface counted is either seen or reported as lost.
      const settled = () => {
        const loss = source.captureLoss();
        return loss.interfacePackets !== null && loss.packetsSeen + (loss.estimatedLostPackets ?? 0) >= loss.interfacePackets && handed === source.counts().packetsDecoded - loss.droppedBatchPackets;
      };
      expect(await waitFor(() => fromPeer > 0 && settled() && source.captureLoss().packetsSeen >= fromPeer, 10_000)).toBe(true);
      const loss = source.captureLoss();
      expect(loss.interfacePackets).toBeGreaterThanOrEqual(burstPackets);
      expect(fromPeer + (loss.estimatedLostPackets ?? 0) + loss.droppedBatchPackets).toBeGreaterThanOrEqual(burstPackets);
      process.stderr.write(
        `live burst: ${fromPeer} of ${burstPackets} datagrams decoded, estimated loss ${loss.estimatedLostPackets}, main-thread timer at most ${Math.round(maxTimerLateMs)} ms late\n`,
      );
    } finally {
      clearInterval(timer);
      await source.close();
    }
  });

  it('rejects an interface that does not exist', async () => {
    const source = new LivePacketSource({ device: `fgnone${network.suffix}` });
    await expect(source.start()).rejects.toMatchObject({ code: 'FG_ERR_CAPTURE_LIVE_OPEN' });
    await source.destroy();
  });
});
