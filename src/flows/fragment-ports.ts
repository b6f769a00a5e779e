import type { DecodedPacket } from '../capture/packet.ts';

/**
 * Ports of fragmented datagrams, remembered from each first fragment so that later fragments,
 * which carry no transport header, join the same flow.
 *
 * Bounded: at most `capacity` datagrams; when full, the oldest entry is dropped, and a later
 * fragment of a dropped or never-seen datagram is metered with ports 0.
 */
export class FragmentPorts {
  readonly #capacity: number;
  readonly #ports = new Map<string, number>();

  constructor(capacity: number) {
    this.#capacity = capacity;
  }

  remember(packet: DecodedPacket): void {
    const key = fragmentKey(packet);
    if (this.#ports.size >= this.#capacity && !this.#ports.has(key)) {
      const oldest = this.#ports.keys().next().value as string;
      this.#ports.delete(oldest);
    }
    this.#ports.set(key, ((packet.srcPort << 16) | packet.dstPort) >>> 0);
  }

  /** Returns `srcPort << 16 | dstPort` of the datagram, or -1 when its first fragment is unknown. */
  lookup(packet: DecodedPacket): number {
    const ports = this.#ports.get(fragmentKey(packet));
    return ports === undefined ? -1 : ports;
  }
}

function fragmentKey(packet: DecodedPacket): string {
  if (packet.ipVersion === 4) return `${packet.src4}|${packet.dst4}|${packet.protocol}|${packet.fragmentId}`;
  return `${Buffer.from(packet.src6).toString('hex')}|${Buffer.from(packet.dst6).toString('hex')}|${packet.protocol}|${packet.fragmentId}`;
}
