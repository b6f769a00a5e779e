/**
 * Live-capture child process: opens the interface with `cap` (libpcap), decodes each packet
 * synchronously inside cap's 'packet' event and hands it to a per-packet consumer, which sends
 * batches to the parent over IPC.
 *
 * Capture runs in a process, not a worker thread, because cap 0.2.1 registers its poll handle
 * on uv_default_loop(), the main thread's loop. In a worker its packet callback therefore runs
 * on the main thread against the worker's V8 objects, and the process segfaults on the first
 * packet (reproduced with Node 20.20 and libpcap 1.10.3). A child process has its own default
 * loop. It also keeps cap's drain-the-ring loop, which blocks for a whole flood burst, away
 * from the gateway's event loop.
 */
import { createRequire } from 'node:module';
import { readInterfaceCounters } from './interface-counters.ts';
import { linkTypeFromCapName, isSupportedLinkType } from './link-types.ts';
import { PacketBatchWriter } from './packet-batch.ts';
import { PacketDelivery } from './packet-delivery.ts';
import type { CapturePacketConsumer, CaptureConsumerFactory, CaptureConsumerMessage } from './capture-consumer.ts';
import type { CaptureProcessConfig, CaptureProcessReply, CaptureProcessRequest } from './capture-process-messages.ts';

interface CapHandle {
  open(device: string, filter: string, bufferSize: number, buffer: Buffer): string;
  close(): void;
  on(event: 'packet', listener: (capturedLength: number, truncated: boolean) => void): void;
  removeAllListeners(event?: string): void;
}

if (!process.send) throw new Error('capture-process.ts must run as a child process with an IPC channel');
const config = JSON.parse(process.argv[2] ?? '{}') as CaptureProcessConfig;

// cap 0.2.1 stores only a raw pointer to this Buffer: it must stay referenced for as long as
// the capture is open, or garbage collection frees it under cap's writes and the heap breaks.
// The module-level constant lives until the process exits. 65,535 bytes equals cap's fixed
// snap length, so cap never has to cut a packet to fit.
const CAPTURE_BUFFER = Buffer.alloc(65_535);

let truncatedPackets = 0;
let droppedBatchPackets = 0;
let messagesInFlight = 0;
let closed = false;

class PacketBatchConsumer implements CapturePacketConsumer {
  readonly #writer: PacketBatchWriter;

  constructor(batchPackets: number) {
    this.#writer = new PacketBatchWriter(batchPackets);
  }

  onPacket(packet: Parameters<CapturePacketConsumer['onPacket']>[0]): boolean {
    return this.#writer.add(packet);
  }

  flush(): CaptureConsumerMessage | undefined {
    const batch = this.#writer.take();
    if (!batch) return undefined;
    return { payload: batch };
  }
}

function send(reply: CaptureProcessReply): void {
  messagesInFlight++;
  process.send!(reply, undefined, undefined, () => {
    messagesInFlight--;
  });
}

async function loadConsumer(): Promise<CapturePacketConsumer> {
  if (!config.consumerModule) return new PacketBatchConsumer(config.batchPackets);
  const module = (await import(config.consumerModule)) as { createCaptureConsumer?: CaptureConsumerFactory };
  if (typeof module.createCaptureConsumer !== 'function') {
    throw new Error(`consumer module ${config.consumerModule} does not export createCaptureConsumer(options)`);
  }
  return module.createCaptureConsumer(config.consumerOptions);
}

function flushConsumer(consumer: CapturePacketConsumer, final: boolean): void {
  const message = consumer.flush(final);
  if (!message) return;
  const batch = config.consumerModule ? undefined : (message.payload as { buffer: ArrayBuffer; count: number });
  // Bound on unsent IPC messages: a parent that stops reading would otherwise grow this
  // process without limit. Overflow policy: drop the batch and count its packets.
  if (!final && messagesInFlight >= config.maxMessagesInFlight) {
    droppedBatchPackets += batch?.count ?? 0;
    return;
  }
  if (batch) send({ type: 'packets', buffer: batch.buffer, count: batch.count });
  else send({ type: 'consumer', payload: message.payload });
}

async function main(): Promise<void> {
  const consumer = await loadConsumer();
  const { Cap } = createRequire(import.meta.url)('cap') as { Cap: new () => CapHandle };
  const cap = new Cap();
  let capLinkType: string;
  try {
    capLinkType = cap.open(config.device, config.filter, config.bufferSizeBytes, CAPTURE_BUFFER);
  } catch (err) {
    send({ type: 'open-failed', message: (err as Error).message });
    return;
  }
  const linkType = linkTypeFromCapName(capLinkType);
  if (linkType === undefined || !isSupportedLinkType(linkType)) {
    cap.close();
    send({ type: 'unsupported-link-type', capLinkType, linkType: linkType ?? -1 });
    return;
  }

  const delivery = new PacketDelivery((packet) => {
    if (consumer.onPacket(packet) === true) flushConsumer(consumer, false);
  });
  cap.on('packet', (capturedLength, truncated) => {
    if (closed) return;
    if (truncated) truncatedPackets++;
    // NOTE: cap does not expose the pcap header, so the time is taken on delivery (immediate
    // mode keeps that close to arrival) and the wire length is the captured length (snap 65,535).
    const timestampUs = Math.round((performance.timeOrigin + performance.now()) * 1000);
    delivery.deliver(linkType, CAPTURE_BUFFER, 0, capturedLength, capturedLength, timestampUs, 0, 0);
  });

  // Interface counters are read right after the packet counts, in this process, so the two
  // describe the same moment up to the packets still in the kernel ring.
  const sendCounts = (type: 'counts' | 'closed'): void => {
    const counts = delivery.counters.snapshot();
    send({ type, counts, truncatedPackets, droppedBatchPackets, interfaceCounters: readInterfaceCounters(config.device) });
  };
  const tick = setInterval(() => {
    flushConsumer(consumer, false);
    sendCounts('counts');
  }, config.flushIntervalMs);

  process.on('message', (request: CaptureProcessRequest) => {
    if (request.type !== 'close' || closed) return;
    closed = true;
    clearInterval(tick);
    cap.removeAllListeners('packet');
    cap.close();
    flushConsumer(consumer, true);
    sendCounts('closed');
    process.disconnect();
  });
  // The parent went away without asking: stop capturing instead of running orphaned.
  process.on('disconnect', () => {
    clearInterval(tick);
    if (!closed) cap.close();
    closed = true;
  });

  send({ type: 'ready', linkType, capLinkType, interfaceCounters: readInterfaceCounters(config.device) });
}

main().catch((err: Error) => {
  send({ type: 'failed', message: err.message, stack: err.stack });
});
