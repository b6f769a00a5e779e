import { formatIPv6, type DecodedPacket } from '../capture/packet.ts';
import type { ExportReason, FlowRecord } from './flow-record.ts';
import { computeFeatures, computeSinglePacketFeatures, type SinglePacket } from './features.ts';
import { addFirstPacket, addPacket, F as F_OFFSETS, F_STRIDE as F_RECORD, FlowStatsSlab, updateActiveIdle, type PacketSample } from './flow-stats.ts';
import { FlowTable, hashKey, hashV6, LIST_CLOSING, LIST_COUNT, LIST_MULTI_OFFSET } from './flow-table.ts';
import { resolveFlowMeterOptions, type FlowMeterOptions, type ResolvedFlowMeterOptions } from './options.ts';
import { FragmentPorts } from './fragment-ports.ts';

export interface FlowMeterStats {
  /** Packets handed to `ingest`. */
  packets: number;
  /** Packets added to a flow. */
  packetsMetered: number;
  flowsActive: number;
  flowsCreated: number;
  exported: Record<ExportReason, number>;
  exportedTotal: number;
  /** Flows pushed out of a full table (also counted in `exported.evicted` when exported). */
  evicted: number;
  /** cic2017 mode: flows of one packet, which the 2017 build never wrote, dropped without export. */
  singlePacketDropped: number;
  /** corrected mode: packets stamped earlier than their flow's last packet, counted at that time. */
  outOfOrderClamped: number;
  /** Frames without an IP header (ARP, STP, …). */
  ignoredNotIp: number;
  /** cic2017 mode: IPv6 packets, which the 2017 run did not read. */
  ignoredNotIpv4: number;
  /** corrected mode: bare ACK/FIN/RST packets that found no flow and may not open one. */
  bareTcpIgnored: number;
  /** corrected mode: later IP fragments whose first fragment was not seen (metered with ports 0). */
  fragmentsWithoutFirst: number;
}

export interface FlowMeter {
  /** Meters one packet. The packet object may be reused by the caller after this returns. */
  ingest(packet: DecodedPacket): void;
  /** Exports flows whose idle, linger or (cic2017) flow timeout has passed at `nowUs`. */
  advanceTime(nowUs: number): void;
  /** Ends the input: exports every flow still in the table with reason 'end-of-input'. */
  flush(): void;
  readonly stats: FlowMeterStats;
  readonly options: ResolvedFlowMeterOptions;
}

const TCP = 6;
const UDP = 17;
const ICMP = 1;
const ICMPV6 = 58;
const FIN = 0x01;
const SYN = 0x02;
const RST = 0x04;
const ACK = 0x10;

/** TCP close state bits per slot. */
const FIN_FROM_A = 1;
const FIN_FROM_B = 2;
const CLOSED_BY_FIN = 4;
const CLOSED_BY_RST = 8;

/** Handshake bits per slot: SYN, SYN-ACK and ACK, each from endpoint A or B. */
const SYN_A = 1;
const SYN_B = 2;
const SYNACK_A = 4;
const SYNACK_B = 8;
const ACK_A = 16;
const ACK_B = 32;

// Module-local copies of imported constants (see features.ts).
const F = { ...F_OFFSETS };
const F_STRIDE = F_RECORD;

/** Packet time between two expiry passes in file mode. */
const SWEEP_INTERVAL_US = 1_000_000;

/** Creates a flow meter; `onExport` receives every exported record, in export order. */
export function createFlowMeter(options: FlowMeterOptions, onExport: (record: FlowRecord) => void): FlowMeter {
  return new FlowMeterImpl(resolveFlowMeterOptions(options), onExport);
}

class FlowMeterImpl implements FlowMeter {
  readonly options: ResolvedFlowMeterOptions;
  readonly #onExport: (record: FlowRecord) => void;
  readonly #cic2017: boolean;
  readonly #table: FlowTable;
  readonly #slab: FlowStatsSlab;
  readonly #fragments = new FragmentPorts(4096);

  // Per-slot state beside the key, grown with the table.
  #srcIsA: Uint8Array;
  #startUs: Float64Array;
  #lastUs: Float64Array;
  #record: Int32Array;
  #firstPayload: Uint32Array;
  #firstHeader: Uint8Array;
  #firstFlags: Uint8Array;
  #firstWindow: Int32Array;
  #firstForward: Uint8Array;
  #tcpState: Uint8Array;
  #handshake: Uint8Array;
  #icmpType: Int16Array;
  #icmpCode: Int16Array;

  readonly #flowTimeoutUs: number;
  readonly #activeTimeoutUs: number;
  readonly #lingerUs: number;
  readonly #idleUs: Float64Array;
  readonly #bareTcpOpens: boolean;
  readonly #paddingAsPayload: boolean;

  readonly #sample: PacketSample = { timestampUs: 0, payloadBytes: 0, headerBytes: 0, tcpFlags: 0, window: 0, forward: true };
  readonly #firstSample: PacketSample = { timestampUs: 0, payloadBytes: 0, headerBytes: 0, tcpFlags: 0, window: 0, forward: true };
  readonly #singlePacket: SinglePacket = { destinationPort: 0, payloadBytes: 0, headerBytes: 0, tcpFlags: 0, window: 0, forward: true };
  #protocol = 0;
  #srcPort = 0;
  #dstPort = 0;
  readonly #zeroV6 = new Uint8Array(16);

  #nowUs = -Infinity;
  #nextSweepUs = -Infinity;
  #nextRecordId = 1;

  #packets = 0;
  #packetsMetered = 0;
  #flowsCreated = 0;
  readonly #exported: Record<ExportReason, number> = {
    fin: 0,
    rst: 0,
    idle: 0,
    active: 0,
    'flow-timeout': 0,
    evicted: 0,
    'end-of-input': 0,
  };
  #evicted = 0;
  #singlePacketDropped = 0;
  #outOfOrderClamped = 0;
  #ignoredNotIp = 0;
  #ignoredNotIpv4 = 0;
  #bareTcpIgnored = 0;
  #fragmentsWithoutFirst = 0;

  constructor(options: ResolvedFlowMeterOptions, onExport: (record: FlowRecord) => void) {
    this.options = options;
    this.#onExport = onExport;
    this.#cic2017 = options.mode === 'cic2017';
    this.#flowTimeoutUs = options.flowTimeoutMs * 1000;
    this.#activeTimeoutUs = options.activeTimeoutMs === null ? Infinity : options.activeTimeoutMs * 1000;
    this.#lingerUs = options.tcpLingerMs * 1000;
    this.#idleUs = Float64Array.of(options.idleTimeoutMs.tcp * 1000, options.idleTimeoutMs.udp * 1000, options.idleTimeoutMs.icmp * 1000);
    this.#bareTcpOpens = options.openFlowOnBareTcp;
    this.#paddingAsPayload = options.cic2017PaddingAsPayload;

    this.#table = new FlowTable(options.maxFlows, (capacity) => this.#growSlots(capacity));
    const capacity = this.#table.capacity;
    this.#srcIsA = new Uint8Array(capacity);
    this.#startUs = new Float64Array(capacity);
    this.#lastUs = new Float64Array(capacity);
    this.#record = new Int32Array(capacity);
    this.#firstPayload = new Uint32Array(capacity);
    this.#firstHeader = new Uint8Array(capacity);
    this.#firstFlags = new Uint8Array(capacity);
    this.#firstWindow = new Int32Array(capacity);
    this.#firstForward = new Uint8Array(capacity);
    this.#tcpState = new Uint8Array(capacity);
    this.#handshake = new Uint8Array(capacity);
    this.#icmpType = new Int16Array(capacity);
    this.#icmpCode = new Int16Array(capacity);
    this.#slab = new FlowStatsSlab(Math.min(options.maxFlows, 1024));
  }

  get stats(): FlowMeterStats {
    const exported = { ...this.#exported };
    return {
      packets: this.#packets,
      packetsMetered: this.#packetsMetered,
      flowsActive: this.#table.size,
      flowsCreated: this.#flowsCreated,
      exported,
      exportedTotal: Object.values(exported).reduce((sum, count) => sum + count, 0),
      evicted: this.#evicted,
      singlePacketDropped: this.#singlePacketDropped,
      outOfOrderClamped: this.#outOfOrderClamped,
      ignoredNotIp: this.#ignoredNotIp,
      ignoredNotIpv4: this.#ignoredNotIpv4,
      bareTcpIgnored: this.#bareTcpIgnored,
      fragmentsWithoutFirst: this.#fragmentsWithoutFirst,
    };
  }

  ingest(packet: DecodedPacket): void {
    this.#packets++;
    const version = packet.ipVersion;
    if (version === 0) {
      this.#ignoredNotIp++;
      return;
    }
    const cic2017 = this.#cic2017;
    if (cic2017 && version !== 4) {
      this.#ignoredNotIpv4++;
      return;
    }
    const ts = packet.timestampUs;
    if (ts > this.#nowUs) {
      this.#nowUs = ts;
      if (ts >= this.#nextSweepUs) this.#sweep(ts, false);
    }
    this.#sample.timestampUs = ts;
    if (cic2017) this.#prepareCic2017(packet);
    else this.#prepareCorrected(packet);

    // Canonical key: endpoint A and B in an order both directions agree on.
    const protocol = this.#protocol;
    const srcPort = this.#srcPort;
    const dstPort = this.#dstPort;
    let a: number;
    let b: number;
    let a6: Uint8Array;
    let b6: Uint8Array;
    let swap: boolean;
    if (version === 4) {
      const src = packet.src4 >>> 0;
      const dst = packet.dst4 >>> 0;
      if (cic2017) {
        // CICFlowMeter orders the addresses as signed Java bytes and keeps the packet's own order
        // for equal addresses. Flipping each byte's top bit turns that into an unsigned compare.
        swap = (src ^ 0x80808080) >>> 0 > (dst ^ 0x80808080) >>> 0;
      } else {
        swap = src > dst || (src === dst && srcPort > dstPort);
      }
      a = swap ? dst : src;
      b = swap ? src : dst;
      a6 = this.#zeroV6;
      b6 = this.#zeroV6;
    } else {
      const order = compareBytes(packet.src6, packet.dst6);
      swap = order > 0 || (order === 0 && srcPort > dstPort);
      a6 = swap ? packet.dst6 : packet.src6;
      b6 = swap ? packet.src6 : packet.dst6;
      a = hashV6(a6);
      b = hashV6(b6);
    }
    const ports = (swap ? ((dstPort << 16) | srcPort) : ((srcPort << 16) | dstPort)) >>> 0;
    const protoKey = protocol | (version << 8);
    const hash = hashKey(a, b, ports, protoKey);
    const fromA = !swap;

    const slot = this.#table.find(hash, a, b, ports, protoKey, a6, b6);
    if (slot < 0) {
      if (!cic2017 && protocol === TCP && !this.#bareTcpOpens && this.#isBareTcp()) {
        this.#bareTcpIgnored++;
        return;
      }
      this.#openFlow(hash, a, b, ports, protoKey, a6, b6, fromA, packet);
    } else if (cic2017) {
      this.#continueCic2017(slot, fromA);
    } else {
      this.#continueCorrected(slot, fromA, packet);
    }
  }

  advanceTime(nowUs: number): void {
    if (nowUs > this.#nowUs) this.#nowUs = nowUs;
    this.#sweep(this.#nowUs, true);
  }

  flush(): void {
    // Least recently active first: repeatedly take the oldest tail among the lists.
    const table = this.#table;
    for (;;) {
      const slot = oldestTail(table, this.#lastUs, 0, LIST_COUNT);
      if (slot < 0) break;
      table.unlink(slot);
      this.#exportRecord(slot, this.#closeReason(slot) ?? 'end-of-input');
    }
    table.clear();
  }

  // --- per-mode packet preparation -------------------------------------------------------------

  #prepareCic2017(packet: DecodedPacket): void {
    const sample = this.#sample;
    const protocol = packet.protocol;
    if (!packet.l4Decoded || (protocol !== TCP && protocol !== UDP)) {
      // The 2017 build puts every other IPv4 packet into a protocol-0 flow of its address pair.
      this.#protocol = 0;
      this.#srcPort = 0;
      this.#dstPort = 0;
      sample.payloadBytes = 0;
      sample.headerBytes = 0;
      sample.tcpFlags = 0;
      sample.window = -1;
      return;
    }
    this.#protocol = protocol;
    this.#srcPort = packet.srcPort;
    this.#dstPort = packet.dstPort;
    const header = packet.l4HeaderLength;
    sample.headerBytes = header;
    sample.tcpFlags = protocol === TCP ? packet.tcpFlags : 0;
    sample.window = protocol === TCP ? packet.tcpWindow : -1;
    if (packet.linkType === 1 && this.#paddingAsPayload) {
      // Its packet library counted the Ethernet trailer as payload, so short frames carry the
      // padding up to the 60-byte minimum. Frames captured before the NIC padded them are padded
      // here, so gateway values match the dataset.
      const frame = packet.wireLength > 60 ? packet.wireLength : 60;
      const payload = frame - packet.linkHeaderLength - packet.ipHeaderLength - header;
      sample.payloadBytes = payload > 0 ? payload : 0;
    } else {
      sample.payloadBytes = packet.payloadLength;
    }
  }

  #prepareCorrected(packet: DecodedPacket): void {
    const sample = this.#sample;
    const protocol = packet.protocol;
    const decoded = packet.l4Decoded;
    this.#protocol = protocol;
    const hasPorts = protocol === TCP || protocol === UDP;
    if (hasPorts && decoded) {
      this.#srcPort = packet.srcPort;
      this.#dstPort = packet.dstPort;
      if (packet.isFragment) this.#fragments.remember(packet);
    } else if (hasPorts && packet.isFragment && packet.fragmentOffset > 0) {
      const ports = this.#fragments.lookup(packet);
      if (ports < 0) {
        this.#fragmentsWithoutFirst++;
        this.#srcPort = 0;
        this.#dstPort = 0;
      } else {
        this.#srcPort = ports >>> 16;
        this.#dstPort = ports & 0xffff;
      }
    } else {
      this.#srcPort = 0;
      this.#dstPort = 0;
    }
    const tcp = protocol === TCP && decoded;
    sample.payloadBytes = packet.payloadLength;
    sample.headerBytes = decoded ? packet.l4HeaderLength : 0;
    sample.tcpFlags = tcp ? packet.tcpFlags : 0;
    sample.window = tcp ? packet.tcpWindow : 0;
  }

  #isBareTcp(): boolean {
    const flags = this.#sample.tcpFlags;
    return (flags & SYN) === 0 && (flags & (ACK | FIN | RST)) !== 0 && this.#sample.payloadBytes === 0;
  }

  // --- lifecycle -------------------------------------------------------------------------------

  #openFlow(hash: number, a: number, b: number, ports: number, protoKey: number, a6: Uint8Array, b6: Uint8Array, fromA: boolean, packet: DecodedPacket): void {
    const table = this.#table;
    if (table.full) this.#evictOne();
    const slot = table.insert(hash, a, b, ports, protoKey, a6, b6);
    // corrected mode orients a flow first seen at its SYN-ACK toward the SYN sender.
    const synAck = !this.#cic2017 && (this.#sample.tcpFlags & (SYN | ACK)) === (SYN | ACK);
    this.#srcIsA[slot] = fromA !== synAck ? 1 : 0;
    this.#tcpState[slot] = 0;
    this.#handshake[slot] = 0;
    const protocol = protoKey & 0xff;
    if ((protocol === ICMP || protocol === ICMPV6) && packet.l4Decoded) {
      this.#icmpType[slot] = packet.icmpType;
      this.#icmpCode[slot] = packet.icmpCode;
    } else {
      this.#icmpType[slot] = -1;
      this.#icmpCode[slot] = -1;
    }
    this.#flowsCreated++;
    this.#beginRecord(slot, fromA, !synAck);
  }

  /** Starts a flow record in `slot` with the current packet as its first packet. */
  #beginRecord(slot: number, fromA: boolean, forward: boolean): void {
    const sample = this.#sample;
    const ts = sample.timestampUs;
    this.#startUs[slot] = ts;
    this.#lastUs[slot] = ts;
    this.#record[slot] = -1;
    this.#firstPayload[slot] = sample.payloadBytes;
    this.#firstHeader[slot] = sample.headerBytes;
    this.#firstFlags[slot] = sample.tcpFlags;
    this.#firstWindow[slot] = sample.window;
    this.#firstForward[slot] = forward ? 1 : 0;
    this.#markHandshake(slot, fromA);
    this.#packetsMetered++;
    this.#table.touch(slot, this.#classOf(slot));
  }

  #continueCic2017(slot: number, fromA: boolean): void {
    const sample = this.#sample;
    const ts = sample.timestampUs;
    if (ts - this.#startUs[slot] > this.#flowTimeoutUs) {
      // The continuation keeps the old flow's source; its first packet counts as forward even
      // when it travels the other way, as in the 2017 build.
      this.#exportRecord(slot, 'flow-timeout');
      this.#beginRecord(slot, fromA, true);
      return;
    }
    const forward = fromA === (this.#srcIsA[slot] === 1);
    sample.forward = forward;
    const record = this.#ensureRecord(slot);
    if (sample.tcpFlags & FIN) {
      addPacket(this.#slab, record, sample, true);
      this.#afterAdd(slot, fromA);
      this.#finish(slot, 'fin');
      return;
    }
    updateActiveIdle(this.#slab, record, ts);
    addPacket(this.#slab, record, sample, true);
    this.#afterAdd(slot, fromA);
    this.#table.touch(slot, this.#classOf(slot) + LIST_MULTI_OFFSET);
  }

  #continueCorrected(slot: number, fromA: boolean, packet: DecodedPacket): void {
    const sample = this.#sample;
    let ts = sample.timestampUs;
    if (ts < this.#lastUs[slot]) {
      ts = this.#lastUs[slot];
      sample.timestampUs = ts;
      this.#outOfOrderClamped++;
    }
    const flags = sample.tcpFlags;
    const state = this.#tcpState[slot];
    if (state & (CLOSED_BY_FIN | CLOSED_BY_RST)) {
      if ((flags & (SYN | ACK)) === SYN) {
        // A new SYN on a closed connection starts a new connection on the reused port.
        this.#finish(slot, state & CLOSED_BY_RST ? 'rst' : 'fin');
        this.#reingest(packet);
        return;
      }
    } else {
      const protocolClass = this.#classOf(slot);
      if (ts - this.#lastUs[slot] > this.#idleUs[protocolClass]) {
        this.#finish(slot, 'idle');
        this.#reingest(packet);
        return;
      }
      const age = ts - this.#startUs[slot];
      if (age > this.#flowTimeoutUs || age >= this.#activeTimeoutUs) {
        this.#exportRecord(slot, age > this.#flowTimeoutUs ? 'flow-timeout' : 'active');
        this.#beginRecord(slot, fromA, fromA === (this.#srcIsA[slot] === 1));
        this.#updateTcpState(slot, fromA, flags);
        return;
      }
    }
    sample.forward = fromA === (this.#srcIsA[slot] === 1);
    const record = this.#ensureRecord(slot);
    updateActiveIdle(this.#slab, record, ts);
    addPacket(this.#slab, record, sample, false);
    this.#afterAdd(slot, fromA);
    this.#updateTcpState(slot, fromA, flags);
  }

  /** Meters the current packet again after its old flow was exported and removed. */
  #reingest(packet: DecodedPacket): void {
    this.#packets--;
    this.ingest(packet);
  }

  #afterAdd(slot: number, fromA: boolean): void {
    this.#lastUs[slot] = this.#sample.timestampUs;
    this.#packetsMetered++;
    this.#markHandshake(slot, fromA);
  }

  #updateTcpState(slot: number, fromA: boolean, flags: number): void {
    let state = this.#tcpState[slot];
    if ((state & (CLOSED_BY_FIN | CLOSED_BY_RST)) === 0) {
      if (flags & RST) state |= CLOSED_BY_RST;
      if (flags & FIN) state |= fromA ? FIN_FROM_A : FIN_FROM_B;
      if ((state & (FIN_FROM_A | FIN_FROM_B)) === (FIN_FROM_A | FIN_FROM_B) && (state & CLOSED_BY_RST) === 0) state |= CLOSED_BY_FIN;
      this.#tcpState[slot] = state;
    }
    if (state & (CLOSED_BY_FIN | CLOSED_BY_RST)) this.#table.touch(slot, LIST_CLOSING);
    else this.#table.touch(slot, this.#classOf(slot) + (this.#record[slot] >= 0 ? LIST_MULTI_OFFSET : 0));
  }

  #markHandshake(slot: number, fromA: boolean): void {
    const flags = this.#sample.tcpFlags;
    if ((flags & (SYN | ACK)) === 0) return;
    let bit: number;
    if ((flags & (SYN | ACK)) === SYN) bit = fromA ? SYN_A : SYN_B;
    else if (flags & SYN) bit = fromA ? SYNACK_A : SYNACK_B;
    else bit = fromA ? ACK_A : ACK_B;
    this.#handshake[slot] |= bit;
  }

  /** Returns the slot's stats record, creating it from the stored first packet when needed. */
  #ensureRecord(slot: number): number {
    let record = this.#record[slot];
    if (record >= 0) return record;
    record = this.#slab.allocate();
    this.#record[slot] = record;
    this.#replayFirstPacket(slot, record);
    return record;
  }

  #replayFirstPacket(slot: number, record: number): void {
    const first = this.#firstSample;
    first.timestampUs = this.#startUs[slot];
    first.payloadBytes = this.#firstPayload[slot];
    first.headerBytes = this.#firstHeader[slot];
    first.tcpFlags = this.#firstFlags[slot];
    first.window = this.#firstWindow[slot];
    first.forward = this.#firstForward[slot] === 1;
    addFirstPacket(this.#slab, record, first, this.#cic2017);
  }

  #classOf(slot: number): number {
    const protocol = this.#table.keyProto[slot] & 0xff;
    if (protocol === TCP) return 0;
    if (protocol === UDP) return 1;
    return 2;
  }

  #closeReason(slot: number): ExportReason | undefined {
    const state = this.#tcpState[slot];
    if (state & CLOSED_BY_RST) return 'rst';
    if (state & CLOSED_BY_FIN) return 'fin';
    return undefined;
  }

  /** Exports the slot's current record (unless cic2017 drops it) and removes the flow. */
  #finish(slot: number, reason: ExportReason): void {
    this.#exportRecord(slot, reason);
    this.#table.remove(slot);
  }

  /** Exports the slot's current record; the slot keeps its key so a continuation can follow. */
  #exportRecord(slot: number, reason: ExportReason): void {
    const record = this.#record[slot];
    if (record < 0 && this.#cic2017) {
      this.#singlePacketDropped++;
      return;
    }
    let flowRecord: FlowRecord;
    if (record < 0) {
      flowRecord = this.#buildRecord(slot, -1, reason);
    } else {
      flowRecord = this.#buildRecord(slot, record, reason);
      this.#slab.release(record);
      this.#record[slot] = -1;
    }
    this.#exported[reason]++;
    this.#onExport(flowRecord);
  }

  #buildRecord(slot: number, record: number, reason: ExportReason): FlowRecord {
    const table = this.#table;
    const srcIsA = this.#srcIsA[slot] === 1;
    const protoKey = table.keyProto[slot];
    const protocol = protoKey & 0xff;
    const version = protoKey >> 8;
    const ports = table.keyPorts[slot];
    const portA = ports >>> 16;
    const portB = ports & 0xffff;
    const addrA = formatAddress(table, slot, version, true);
    const addrB = formatAddress(table, slot, version, false);
    const srcAddr = srcIsA ? addrA : addrB;
    const dstAddr = srcIsA ? addrB : addrA;
    const srcPort = srcIsA ? portA : portB;
    const dstPort = srcIsA ? portB : portA;
    let features: Float64Array;
    let startUs: number;
    let endUs: number;
    if (record < 0) {
      // Only corrected mode exports one-packet flows; cic2017 drops them before this point.
      const single = this.#singlePacket;
      single.destinationPort = dstPort;
      single.payloadBytes = this.#firstPayload[slot];
      single.headerBytes = this.#firstHeader[slot];
      single.tcpFlags = this.#firstFlags[slot];
      single.window = this.#firstWindow[slot];
      single.forward = this.#firstForward[slot] === 1;
      features = computeSinglePacketFeatures(single);
      startUs = this.#startUs[slot];
      endUs = startUs;
    } else {
      features = computeFeatures(this.#slab, record, {
        cic2017: this.#cic2017,
        flagOrder: this.options.cic2017FlagOrder,
        destinationPort: dstPort,
        firstPayloadBytes: this.#firstPayload[slot],
        firstTcpFlags: this.#firstFlags[slot],
      });
      startUs = this.#slab.f[record * F_STRIDE + F.startUs];
      endUs = this.#slab.f[record * F_STRIDE + F.lastUs];
    }
    const handshake = this.#handshake[slot];
    return {
      id: this.#nextRecordId++,
      flowId: this.#cic2017
        ? addrA + '-' + addrB + '-' + portA + '-' + portB + '-' + protocol
        : srcAddr + '-' + dstAddr + '-' + srcPort + '-' + dstPort + '-' + protocol,
      mode: this.options.mode,
      ipVersion: version as 4 | 6,
      srcAddr,
      srcPort,
      dstAddr,
      dstPort,
      protocol,
      startUs,
      endUs,
      exportReason: reason,
      handshakeSeen: (handshake & (SYN_A | SYNACK_B | ACK_A)) === (SYN_A | SYNACK_B | ACK_A) || (handshake & (SYN_B | SYNACK_A | ACK_B)) === (SYN_B | SYNACK_A | ACK_B),
      icmpType: this.#icmpType[slot],
      icmpCode: this.#icmpCode[slot],
      features,
    };
  }

  /** Exports the least recently active flow, one-packet flows first, to make room. */
  #evictOne(): void {
    const table = this.#table;
    let victim = oldestTail(table, this.#lastUs, 0, LIST_MULTI_OFFSET);
    if (victim < 0) victim = oldestTail(table, this.#lastUs, LIST_MULTI_OFFSET, LIST_COUNT);
    this.#evicted++;
    this.#finish(victim, 'evicted');
  }

  #sweep(nowUs: number, external: boolean): void {
    this.#nextSweepUs = nowUs + SWEEP_INTERVAL_US;
    const table = this.#table;
    const last = this.#lastUs;
    if (this.#cic2017) {
      // The 2017 build has no idle timeout. A live gateway ends flows older than the flow timeout
      // from its timer instead of at their next packet, and file mode leaves them to that packet.
      // NOTE: after a timer export the next packet of the 5-tuple starts a fresh flow, whereas the
      // 2017 build would have continued with the old orientation.
      if (!external) return;
      for (let list = 0; list < LIST_COUNT; list++) {
        let slot = table.heads[list];
        while (slot >= 0) {
          const following = table.next[slot];
          if (nowUs - this.#startUs[slot] > this.#flowTimeoutUs) this.#finish(slot, 'flow-timeout');
          slot = following;
        }
      }
      return;
    }
    for (let protocolClass = 0; protocolClass < 3; protocolClass++) {
      const idleUs = this.#idleUs[protocolClass];
      for (const list of [protocolClass, protocolClass + LIST_MULTI_OFFSET]) {
        for (let slot = table.tails[list]; slot >= 0 && nowUs - last[slot] > idleUs; slot = table.tails[list]) {
          this.#finish(slot, 'idle');
        }
      }
    }
    for (let slot = table.tails[LIST_CLOSING]; slot >= 0 && nowUs - last[slot] > this.#lingerUs; slot = table.tails[LIST_CLOSING]) {
      this.#finish(slot, this.#closeReason(slot) ?? 'fin');
    }
  }

  #growSlots(capacity: number): void {
    this.#srcIsA = grow(this.#srcIsA, new Uint8Array(capacity));
    this.#startUs = grow(this.#startUs, new Float64Array(capacity));
    this.#lastUs = grow(this.#lastUs, new Float64Array(capacity));
    this.#record = grow(this.#record, new Int32Array(capacity));
    this.#firstPayload = grow(this.#firstPayload, new Uint32Array(capacity));
    this.#firstHeader = grow(this.#firstHeader, new Uint8Array(capacity));
    this.#firstFlags = grow(this.#firstFlags, new Uint8Array(capacity));
    this.#firstWindow = grow(this.#firstWindow, new Int32Array(capacity));
    this.#firstForward = grow(this.#firstForward, new Uint8Array(capacity));
    this.#tcpState = grow(this.#tcpState, new Uint8Array(capacity));
    this.#handshake = grow(this.#handshake, new Uint8Array(capacity));
    this.#icmpType = grow(this.#icmpType, new Int16Array(capacity));
    this.#icmpCode = grow(this.#icmpCode, new Int16Array(capacity));
  }
}

function oldestTail(table: FlowTable, last: Float64Array, fromList: number, toList: number): number {
  let victim = -1;
  for (let list = fromList; list < toList; list++) {
    const tail = table.tails[list];
    if (tail >= 0 && (victim < 0 || last[tail] < last[victim])) victim = tail;
  }
  return victim;
}

/** Decimal text of every octet value, so formatting an IPv4 address only concatenates. */
const OCTETS = Array.from({ length: 256 }, (_, value) => String(value));

function formatAddress(table: FlowTable, slot: number, version: number, endpointA: boolean): string {
  if (version === 4) {
    const address = endpointA ? table.keyA[slot] : table.keyB[slot];
    return OCTETS[address >>> 24] + '.' + OCTETS[(address >>> 16) & 0xff] + '.' + OCTETS[(address >>> 8) & 0xff] + '.' + OCTETS[address & 0xff];
  }
  const base = slot * 32 + (endpointA ? 0 : 16);
  return formatIPv6((table.v6 as Uint8Array).subarray(base, base + 16));
}

function compareBytes(x: Uint8Array, y: Uint8Array): number {
  for (let k = 0; k < 16; k++) {
    if (x[k] !== y[k]) return x[k] - y[k];
  }
  return 0;
}

function grow<T extends Uint8Array | Int16Array | Uint32Array | Int32Array | Float64Array>(from: T, to: T): T {
  to.set(from as never);
  return to;
}

