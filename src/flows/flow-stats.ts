/**
 * Per-flow running statistics kept in two typed-array slabs (one float64, one int32), one
 * fixed-size record per flow that holds two or more packets.
 *
 * Means and variances follow Apache Commons Math `SummaryStatistics`, which CICFlowMeter uses: the
 * mean is the running first moment (m1 += (x − m1)/n), m2 grows by (n − 1)(x − m1)²/n, and the
 * variance is the bias-corrected m2/(n − 1), 0 for one value. Reproducing the same update order gives the same
 * float64 results as the Java tool, bit for bit, so cic2017 values can be compared exactly.
 */

/** Offsets inside one record of the float64 slab. */
export const F = {
  fwdMin: 0,
  fwdMax: 1,
  fwdMean: 2,
  fwdM2: 3,
  fwdSum: 4,
  bwdMin: 5,
  bwdMax: 6,
  bwdMean: 7,
  bwdM2: 8,
  bwdSum: 9,
  allMin: 10,
  allMax: 11,
  allMean: 12,
  allM2: 13,
  flowIatMin: 14,
  flowIatMax: 15,
  flowIatMean: 16,
  flowIatM2: 17,
  fwdIatMin: 18,
  fwdIatMax: 19,
  fwdIatMean: 20,
  fwdIatM2: 21,
  bwdIatMin: 22,
  bwdIatMax: 23,
  bwdIatMean: 24,
  bwdIatM2: 25,
  firstFwdUs: 26,
  lastFwdUs: 27,
  firstBwdUs: 28,
  lastBwdUs: 29,
  activeMin: 30,
  activeMax: 31,
  activeMean: 32,
  activeM2: 33,
  idleMin: 34,
  idleMax: 35,
  idleMean: 36,
  idleM2: 37,
  activeStartUs: 38,
  activeEndUs: 39,
  fwdHeaderBytes: 40,
  bwdHeaderBytes: 41,
  fwdBulkStartUs: 42,
  fwdBulkLastUs: 43,
  fwdBulkSizeHelper: 44,
  fwdBulkSizeTotal: 45,
  fwdBulkDurationUs: 46,
  bwdBulkStartUs: 47,
  bwdBulkLastUs: 48,
  bwdBulkSizeHelper: 49,
  bwdBulkSizeTotal: 50,
  bwdBulkDurationUs: 51,
  subflowLastUs: 52,
  startUs: 53,
  lastUs: 54,
} as const;
export const F_STRIDE = 56;

/** Offsets inside one record of the int32 slab. */
export const I = {
  fwdPackets: 0,
  bwdPackets: 1,
  activeCount: 2,
  idleCount: 3,
  fwdActData: 4,
  fwdMinSeg: 5,
  initWinFwd: 6,
  initWinBwd: 7,
  fwdPsh: 8,
  bwdPsh: 9,
  fwdUrg: 10,
  bwdUrg: 11,
  /** Eight per-flag packet counters in TCP bit order FIN, SYN, RST, PSH, ACK, URG, ECE, CWR. */
  flagCounts: 12,
  fwdBulkCountHelper: 20,
  fwdBulkStates: 21,
  fwdBulkPackets: 22,
  bwdBulkCountHelper: 23,
  bwdBulkStates: 24,
  bwdBulkPackets: 25,
  subflowCount: 26,
  /** Set once a forward packet has been added (corrected mode takes init window and min header from it). */
  fwdSeen: 27,
} as const;
export const I_STRIDE = 28;

/** Activity timeout of CICFlowMeter: a gap longer than this ends an active period. */
export const ACTIVITY_TIMEOUT_US = 5_000_000;
/** Gap that separates bulks and subflows in CICFlowMeter. */
const BULK_GAP_US = 1_000_000;

/** Adds `x` as value number `n` (1-based, already counted) of a min/max/mean/m2 group at `at`. */
export function pushStat(f: Float64Array, at: number, n: number, x: number): void {
  if (n === 1) {
    f[at] = x;
    f[at + 1] = x;
    f[at + 2] = x;
    f[at + 3] = 0;
    return;
  }
  if (x < f[at]) f[at] = x;
  if (x > f[at + 1]) f[at + 1] = x;
  const dev = x - f[at + 2];
  const nDev = dev / n;
  f[at + 2] += nDev;
  f[at + 3] += (n - 1) * dev * nDev;
}

/** Sample standard deviation of a group of `n` values (0 for one value). */
export function stdOf(f: Float64Array, at: number, n: number): number {
  return n > 1 ? Math.sqrt(f[at + 3] / (n - 1)) : 0;
}

/** Sample variance of a group of `n` values (0 for one value). */
export function varianceOf(f: Float64Array, at: number, n: number): number {
  return n > 1 ? f[at + 3] / (n - 1) : 0;
}

/** Packet fields the statistics need, already converted for the meter's mode. */
export interface PacketSample {
  timestampUs: number;
  payloadBytes: number;
  headerBytes: number;
  tcpFlags: number;
  window: number;
  forward: boolean;
}

/**
 * The two slabs and their free list. Records are handed out by index; `grow` doubles both slabs
 * (copying), so callers re-read `f` and `i` after `allocate`.
 */
export class FlowStatsSlab {
  f: Float64Array;
  i: Int32Array;
  #capacity: number;
  #free: Int32Array;
  #freeCount = 0;
  #used = 0;

  constructor(initialCapacity: number) {
    this.#capacity = initialCapacity;
    this.f = new Float64Array(initialCapacity * F_STRIDE);
    this.i = new Int32Array(initialCapacity * I_STRIDE);
    this.#free = new Int32Array(initialCapacity);
  }

  get capacity(): number {
    return this.#capacity;
  }

  /** Returns a record index; the record's contents are undefined until `reset`. */
  allocate(): number {
    if (this.#freeCount > 0) return this.#free[--this.#freeCount];
    if (this.#used === this.#capacity) this.#grow();
    return this.#used++;
  }

  release(record: number): void {
    this.#free[this.#freeCount++] = record;
  }

  #grow(): void {
    const capacity = this.#capacity * 2;
    const f = new Float64Array(capacity * F_STRIDE);
    f.set(this.f);
    const i = new Int32Array(capacity * I_STRIDE);
    i.set(this.i);
    const free = new Int32Array(capacity);
    free.set(this.#free.subarray(0, this.#freeCount));
    this.f = f;
    this.i = i;
    this.#free = free;
    this.#capacity = capacity;
  }
}

/** Clears a record and records the flow's first packet into it. */
export function addFirstPacket(slab: FlowStatsSlab, record: number, p: PacketSample, cic2017: boolean): void {
  const f = slab.f;
  const i = slab.i;
  const fb = record * F_STRIDE;
  const ib = record * I_STRIDE;
  f.fill(0, fb, fb + F_STRIDE);
  i.fill(0, ib, ib + I_STRIDE);
  const ts = p.timestampUs;
  const pl = p.payloadBytes;
  f[fb + F.startUs] = ts;
  f[fb + F.lastUs] = ts;
  f[fb + F.activeStartUs] = ts;
  f[fb + F.activeEndUs] = ts;
  f[fb + F.fwdBulkStartUs] = -1;
  f[fb + F.fwdBulkLastUs] = -1;
  f[fb + F.bwdBulkStartUs] = -1;
  f[fb + F.bwdBulkLastUs] = -1;
  f[fb + F.subflowLastUs] = ts;
  i[ib + I.initWinFwd] = cic2017 ? -1 : 0;
  i[ib + I.initWinBwd] = cic2017 ? -1 : 0;

  if (cic2017) {
    // The 2017 build adds the first payload to the all-packet statistics twice and records only
    // the first packet's flags; the first packet is always forward.
    pushStat(f, fb + F.allMin, 1, pl);
    pushStat(f, fb + F.allMin, 2, pl);
    countFlags(i, ib, p.tcpFlags);
  } else {
    updateBulk(f, i, fb, ib, p);
    countFlags(i, ib, p.tcpFlags);
    pushStat(f, fb + F.allMin, 1, pl);
  }

  if (p.forward) {
    i[ib + I.fwdSeen] = 1;
    i[ib + I.fwdPackets] = 1;
    i[ib + I.fwdMinSeg] = p.headerBytes;
    i[ib + I.initWinFwd] = p.window;
    pushStat(f, fb + F.fwdMin, 1, pl);
    f[fb + F.fwdSum] = pl;
    f[fb + F.fwdHeaderBytes] = p.headerBytes;
    f[fb + F.firstFwdUs] = ts;
    f[fb + F.lastFwdUs] = ts;
    if (!cic2017 && pl >= 1) i[ib + I.fwdActData] = 1;
    if (p.tcpFlags & 0x08) i[ib + I.fwdPsh] = 1;
    if (p.tcpFlags & 0x20) i[ib + I.fwdUrg] = 1;
  } else {
    i[ib + I.bwdPackets] = 1;
    i[ib + I.initWinBwd] = p.window;
    pushStat(f, fb + F.bwdMin, 1, pl);
    f[fb + F.bwdSum] = pl;
    f[fb + F.bwdHeaderBytes] = p.headerBytes;
    f[fb + F.firstBwdUs] = ts;
    f[fb + F.lastBwdUs] = ts;
    if (p.tcpFlags & 0x08) i[ib + I.bwdPsh] = 1;
    if (p.tcpFlags & 0x20) i[ib + I.bwdUrg] = 1;
  }
}

/** Records a packet after the first. The caller has already run `updateActiveIdle` where its mode wants it. */
export function addPacket(slab: FlowStatsSlab, record: number, p: PacketSample, cic2017: boolean): void {
  const f = slab.f;
  const i = slab.i;
  const fb = record * F_STRIDE;
  const ib = record * I_STRIDE;
  const ts = p.timestampUs;
  const pl = p.payloadBytes;

  if (!cic2017) {
    updateBulk(f, i, fb, ib, p);
    if (ts - f[fb + F.subflowLastUs] > BULK_GAP_US) i[ib + I.subflowCount]++;
    f[fb + F.subflowLastUs] = ts;
    countFlags(i, ib, p.tcpFlags);
  }

  const packets = i[ib + I.fwdPackets] + i[ib + I.bwdPackets];
  pushStat(f, fb + F.allMin, cic2017 ? packets + 2 : packets + 1, pl);

  if (p.forward) {
    const n = ++i[ib + I.fwdPackets];
    if (pl >= 1) i[ib + I.fwdActData]++;
    pushStat(f, fb + F.fwdMin, n, pl);
    f[fb + F.fwdSum] += pl;
    f[fb + F.fwdHeaderBytes] += p.headerBytes;
    if (n > 1) {
      pushStat(f, fb + F.fwdIatMin, n - 1, ts - f[fb + F.lastFwdUs]);
    } else {
      f[fb + F.firstFwdUs] = ts;
    }
    f[fb + F.lastFwdUs] = ts;
    if (i[ib + I.fwdSeen] === 0) {
      // Only corrected mode gets here: a flow oriented from a SYN-ACK, or a continuation that
      // began with a backward packet, takes its forward init window from its first forward packet.
      i[ib + I.fwdSeen] = 1;
      i[ib + I.fwdMinSeg] = p.headerBytes;
      i[ib + I.initWinFwd] = p.window;
    } else if (p.headerBytes < i[ib + I.fwdMinSeg]) {
      i[ib + I.fwdMinSeg] = p.headerBytes;
    }
    if (!cic2017) {
      if (p.tcpFlags & 0x08) i[ib + I.fwdPsh]++;
      if (p.tcpFlags & 0x20) i[ib + I.fwdUrg]++;
    }
  } else {
    const n = ++i[ib + I.bwdPackets];
    pushStat(f, fb + F.bwdMin, n, pl);
    f[fb + F.bwdSum] += pl;
    f[fb + F.bwdHeaderBytes] += p.headerBytes;
    if (n > 1) {
      pushStat(f, fb + F.bwdIatMin, n - 1, ts - f[fb + F.lastBwdUs]);
    } else {
      f[fb + F.firstBwdUs] = ts;
    }
    f[fb + F.lastBwdUs] = ts;
    if (cic2017) {
      // The 2017 build overwrites the backward window with every backward packet.
      i[ib + I.initWinBwd] = p.window;
    } else {
      if (i[ib + I.initWinBwd] === 0) i[ib + I.initWinBwd] = p.window;
      if (p.tcpFlags & 0x08) i[ib + I.bwdPsh]++;
      if (p.tcpFlags & 0x20) i[ib + I.bwdUrg]++;
    }
  }

  pushStat(f, fb + F.flowIatMin, packets, ts - f[fb + F.lastUs]);
  f[fb + F.lastUs] = ts;
}

/**
 * Splits active and idle periods: a gap longer than 5 s closes the running active period (kept
 * only when longer than 0) and records the gap as idle time. The final active period is never
 * recorded, as in CICFlowMeter.
 */
export function updateActiveIdle(slab: FlowStatsSlab, record: number, timestampUs: number): void {
  const f = slab.f;
  const i = slab.i;
  const fb = record * F_STRIDE;
  const ib = record * I_STRIDE;
  const end = f[fb + F.activeEndUs];
  if (timestampUs - end > ACTIVITY_TIMEOUT_US) {
    const active = end - f[fb + F.activeStartUs];
    if (active > 0) pushStat(f, fb + F.activeMin, ++i[ib + I.activeCount], active);
    pushStat(f, fb + F.idleMin, ++i[ib + I.idleCount], timestampUs - end);
    f[fb + F.activeStartUs] = timestampUs;
  }
  f[fb + F.activeEndUs] = timestampUs;
}

function countFlags(i: Int32Array, ib: number, flags: number): void {
  if (flags === 0) return;
  const at = ib + I.flagCounts;
  for (let bit = 0; bit < 8; bit++) if (flags & (1 << bit)) i[at + bit]++;
}

/**
 * Bulk detection of the corrected CICFlowMeter: a bulk is a run of at least four payload packets
 * in one direction, at most 1 s apart, with no payload from the other direction in between.
 */
function updateBulk(f: Float64Array, i: Int32Array, fb: number, ib: number, p: PacketSample): void {
  const own = p.forward ? 0 : 5;
  const other = p.forward ? 5 : 0;
  const ownI = p.forward ? 0 : 3;
  const start = fb + F.fwdBulkStartUs + own;
  const last = start + 1;
  const sizeHelper = start + 2;
  const sizeTotal = start + 3;
  const duration = start + 4;
  const countHelper = ib + I.fwdBulkCountHelper + ownI;
  const states = countHelper + 1;
  const packets = countHelper + 2;
  const ts = p.timestampUs;
  const pl = p.payloadBytes;

  if (f[fb + F.fwdBulkLastUs + other] > f[start]) f[start] = -1;
  if (pl <= 0) return;
  if (f[start] === -1 || ts - f[last] > BULK_GAP_US) {
    f[start] = ts;
    f[last] = ts;
    i[countHelper] = 1;
    f[sizeHelper] = pl;
    return;
  }
  const count = ++i[countHelper];
  f[sizeHelper] += pl;
  if (count === 4) {
    i[states]++;
    i[packets] += 4;
    f[sizeTotal] += f[sizeHelper];
    f[duration] += ts - f[start];
  } else if (count > 4) {
    i[packets]++;
    f[sizeTotal] += pl;
    f[duration] += ts - f[last];
  }
  f[last] = ts;
}
