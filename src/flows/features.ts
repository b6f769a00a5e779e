import { FEATURE_COUNT } from './columns.ts';
import type { Cic2017FlagOrder } from './options.ts';
import { F as F_OFFSETS, F_STRIDE as F_RECORD, I as I_OFFSETS, I_STRIDE as I_RECORD, stdOf, varianceOf, type FlowStatsSlab } from './flow-stats.ts';

// Module-local copies: some loaders (tsx) turn imported bindings into getters, which costs a call
// on every access in this per-flow code.
const F = { ...F_OFFSETS };
const I = { ...I_OFFSETS };
const F_STRIDE = F_RECORD;
const I_STRIDE = I_RECORD;

/**
 * Which TCP flag bit (FIN 0 … CWR 7) each of the eight flag-count columns (FIN, SYN, RST, PSH,
 * ACK, URG, CWE, ECE) holds. The 2017 build wrote its counters in `HashMap` iteration order; with
 * Java 8 or later that order is RST, PSH, ECE, SYN, ACK, FIN, URG, CWR, which the released
 * CIC-IDS2017 rows confirm (`SYN Flag Count` always equals `Fwd PSH Flags`).
 */
const FLAG_COLUMN_BITS: Readonly<Record<Cic2017FlagOrder, readonly number[]>> = {
  java8: [2, 3, 6, 1, 4, 0, 5, 7],
  java7: [3, 1, 6, 7, 4, 5, 0, 2],
  nominal: [0, 1, 2, 3, 4, 5, 7, 6],
};
/** Column order of the corrected tool: FIN, SYN, RST, PSH, ACK, URG, CWR, ECE. */
const CORRECTED_FLAG_BITS = FLAG_COLUMN_BITS.nominal;

export interface FeatureContext {
  cic2017: boolean;
  flagOrder: Cic2017FlagOrder;
  destinationPort: number;
  /** Payload of the flow's first packet, counted twice by the 2017 build. */
  firstPayloadBytes: number;
  /** Flags of the first packet (cic2017 flag columns). */
  firstTcpFlags: number;
}

/**
 * Computes the 78 features of one flow in `FEATURE_NAMES` order. In cic2017 mode zero-duration
 * rates become Infinity/NaN exactly as Java printed them; corrected mode never yields a
 * non-finite value (zero-duration flow rates are -1, statistics of empty lists are 0).
 */
export function computeFeatures(slab: FlowStatsSlab, record: number, context: FeatureContext): Float64Array {
  const out = allocateFeatures();
  const f = slab.f;
  const i = slab.i;
  const fb = record * F_STRIDE;
  const ib = record * I_STRIDE;
  const cic2017 = context.cic2017;
  const nF = i[ib + I.fwdPackets];
  const nB = i[ib + I.bwdPackets];
  const n = nF + nB;
  const durationUs = f[fb + F.lastUs] - f[fb + F.startUs];
  const seconds = durationUs / 1000000;
  const fwdBytes = f[fb + F.fwdSum];
  const bwdBytes = f[fb + F.bwdSum];
  const allCount = cic2017 ? n + 1 : n;

  out[0] = context.destinationPort;
  out[1] = durationUs;
  out[2] = nF;
  out[3] = nB;
  out[4] = fwdBytes;
  out[5] = bwdBytes;
  if (nF > 0) {
    out[6] = f[fb + F.fwdMax];
    out[7] = f[fb + F.fwdMin];
    out[8] = f[fb + F.fwdMean];
    out[9] = stdOf(f, fb + F.fwdMin, nF);
  }
  if (nB > 0) {
    out[10] = f[fb + F.bwdMax];
    out[11] = f[fb + F.bwdMin];
    out[12] = f[fb + F.bwdMean];
    out[13] = stdOf(f, fb + F.bwdMin, nB);
  }

  if (cic2017 || durationUs !== 0) {
    out[14] = (fwdBytes + bwdBytes) / seconds;
    out[15] = n / seconds;
  } else {
    out[14] = -1;
    out[15] = -1;
  }

  if (n > 1) {
    out[16] = f[fb + F.flowIatMean];
    out[17] = stdOf(f, fb + F.flowIatMin, n - 1);
    out[18] = f[fb + F.flowIatMax];
    out[19] = f[fb + F.flowIatMin];
  } else if (cic2017) {
    // Commons Math returns NaN for statistics of an empty list; the 2017 build printed them.
    out[16] = NaN;
    out[17] = NaN;
    out[18] = NaN;
    out[19] = NaN;
  }
  if (nF > 1) {
    out[20] = f[fb + F.lastFwdUs] - f[fb + F.firstFwdUs];
    out[21] = f[fb + F.fwdIatMean];
    out[22] = stdOf(f, fb + F.fwdIatMin, nF - 1);
    out[23] = f[fb + F.fwdIatMax];
    out[24] = f[fb + F.fwdIatMin];
  }
  if (nB > 1) {
    out[25] = f[fb + F.lastBwdUs] - f[fb + F.firstBwdUs];
    out[26] = f[fb + F.bwdIatMean];
    out[27] = stdOf(f, fb + F.bwdIatMin, nB - 1);
    out[28] = f[fb + F.bwdIatMax];
    out[29] = f[fb + F.bwdIatMin];
  }

  out[30] = i[ib + I.fwdPsh];
  out[31] = i[ib + I.bwdPsh];
  out[32] = i[ib + I.fwdUrg];
  out[33] = i[ib + I.bwdUrg];
  out[34] = f[fb + F.fwdHeaderBytes];
  out[35] = f[fb + F.bwdHeaderBytes];
  out[36] = durationUs > 0 ? nF / seconds : 0;
  out[37] = durationUs > 0 ? nB / seconds : 0;

  if (n > 0) {
    out[38] = f[fb + F.allMin];
    out[39] = f[fb + F.allMax];
    out[40] = f[fb + F.allMean];
    out[41] = stdOf(f, fb + F.allMin, allCount);
    out[42] = varianceOf(f, fb + F.allMin, allCount);
  }

  if (cic2017) {
    const bits = FLAG_COLUMN_BITS[context.flagOrder];
    for (let column = 0; column < 8; column++) out[43 + column] = (context.firstTcpFlags >> bits[column]) & 1;
  } else {
    for (let column = 0; column < 8; column++) out[43 + column] = i[ib + I.flagCounts + CORRECTED_FLAG_BITS[column]];
  }

  if (nF > 0) out[51] = cic2017 ? Math.floor(nB / nF) : nB / nF;
  const allBytes = fwdBytes + bwdBytes + (cic2017 ? context.firstPayloadBytes : 0);
  if (n > 0) out[52] = allBytes / n;
  if (nF > 0) out[53] = fwdBytes / nF;
  if (nB > 0) out[54] = bwdBytes / nB;
  out[55] = f[fb + F.fwdHeaderBytes];

  if (!cic2017) {
    writeBulk(out, 56, f[fb + F.fwdBulkSizeTotal], i[ib + I.fwdBulkStates], i[ib + I.fwdBulkPackets], f[fb + F.fwdBulkDurationUs]);
    writeBulk(out, 59, f[fb + F.bwdBulkSizeTotal], i[ib + I.bwdBulkStates], i[ib + I.bwdBulkPackets], f[fb + F.bwdBulkDurationUs]);
  }

  if (cic2017) {
    out[62] = nF;
    out[63] = fwdBytes;
    out[64] = nB;
    out[65] = bwdBytes;
  } else {
    // NOTE: the corrected tool divides by the number of >1 s gaps, so a flow without a pause gets
    // zeros; kept as it computes it so that its published CSVs and this mode agree.
    const subflows = i[ib + I.subflowCount];
    if (subflows > 0) {
      out[62] = nF / subflows;
      out[63] = fwdBytes / subflows;
      out[64] = nB / subflows;
      out[65] = bwdBytes / subflows;
    }
  }

  out[66] = i[ib + I.initWinFwd];
  out[67] = i[ib + I.initWinBwd];
  out[68] = i[ib + I.fwdActData];
  out[69] = i[ib + I.fwdMinSeg];

  const activeCount = i[ib + I.activeCount];
  if (activeCount > 0) {
    out[70] = f[fb + F.activeMean];
    out[71] = stdOf(f, fb + F.activeMin, activeCount);
    out[72] = f[fb + F.activeMax];
    out[73] = f[fb + F.activeMin];
  }
  const idleCount = i[ib + I.idleCount];
  if (idleCount > 0) {
    out[74] = f[fb + F.idleMean];
    out[75] = stdOf(f, fb + F.idleMin, idleCount);
    out[76] = f[fb + F.idleMax];
    out[77] = f[fb + F.idleMin];
  }
  return out;
}

/** The first packet of a one-packet flow, as `computeSinglePacketFeatures` needs it. */
export interface SinglePacket {
  destinationPort: number;
  payloadBytes: number;
  headerBytes: number;
  tcpFlags: number;
  window: number;
  forward: boolean;
}

/**
 * Computes the corrected-mode features of a one-packet flow without a stats record. The result
 * equals `computeFeatures` on the same packet (a test checks this) at about half the cost, which
 * matters when a flood exports one flow per packet.
 */
export function computeSinglePacketFeatures(packet: SinglePacket): Float64Array {
  const out = allocateFeatures();
  const pl = packet.payloadBytes;
  const flags = packet.tcpFlags;
  out[0] = packet.destinationPort;
  out[14] = -1;
  out[15] = -1;
  const side = packet.forward ? 0 : 1;
  out[2 + side] = 1;
  out[4 + side] = pl;
  out[6 + side * 4] = pl;
  out[7 + side * 4] = pl;
  out[8 + side * 4] = pl;
  out[30 + side] = (flags >> 3) & 1;
  out[32 + side] = (flags >> 5) & 1;
  out[34 + side] = packet.headerBytes;
  out[38] = pl;
  out[39] = pl;
  out[40] = pl;
  for (let column = 0; column < 8; column++) out[43 + column] = (flags >> CORRECTED_FLAG_BITS[column]) & 1;
  out[52] = pl;
  out[53 + side] = pl;
  if (packet.forward) {
    out[55] = packet.headerBytes;
    out[66] = packet.window;
    out[68] = pl >= 1 ? 1 : 0;
    out[69] = packet.headerBytes;
  } else {
    out[67] = packet.window;
  }
  return out;
}

/**
 * Records per shared ArrayBuffer. A fresh 624-byte Float64Array costs about 0.5 µs (an off-heap
 * buffer each), views into a shared buffer about 0.05 µs.
 * NOTE: a kept record keeps its whole buffer alive, so one record can pin up to
 * FEATURES_PER_BUFFER × 624 bytes (about 10 KB). A consumer that keeps many old records should
 * copy their features.
 */
const FEATURES_PER_BUFFER = 16;
let featureBuffer = new ArrayBuffer(0);
let featureBufferUsed = FEATURES_PER_BUFFER;

function allocateFeatures(): Float64Array {
  if (featureBufferUsed === FEATURES_PER_BUFFER) {
    featureBuffer = new ArrayBuffer(FEATURES_PER_BUFFER * FEATURE_COUNT * 8);
    featureBufferUsed = 0;
  }
  return new Float64Array(featureBuffer, featureBufferUsed++ * FEATURE_COUNT * 8, FEATURE_COUNT);
}

function writeBulk(out: Float64Array, at: number, bytes: number, bulks: number, packets: number, durationUs: number): void {
  if (bulks > 0) {
    out[at] = bytes / bulks;
    out[at + 1] = packets / bulks;
  }
  if (durationUs > 0) out[at + 2] = bytes / (durationUs / 1000000);
}
