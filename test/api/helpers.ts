import { pino, type Logger } from 'pino';
import type { Verdict } from '../../src/infer/verdict.ts';

export const TOKEN = 'test-token-0123456789abcdef';
export const AUTH = { authorization: `Bearer ${TOKEN}` };

/** Creates a pino logger that appends each record, parsed, to `records`. */
export function capturingLogger(): { logger: Logger; records: Record<string, unknown>[] } {
  const records: Record<string, unknown>[] = [];
  const logger = pino({ level: 'debug' }, { write: (line: string) => records.push(JSON.parse(line)) });
  return { logger, records };
}

export function makeVerdict(fields: Partial<Verdict> & Pick<Verdict, 'srcAddr' | 'label'>): Verdict {
  return {
    flowRecordId: 1,
    flowId: `${fields.srcAddr}-198.51.100.10-40000-80-6`,
    ipVersion: fields.srcAddr.includes(':') ? 6 : 4,
    srcPort: 40_000,
    dstAddr: '198.51.100.10',
    dstPort: 80,
    protocol: 6,
    startUs: 1_000_000,
    endUs: 2_000_000,
    packets: 3,
    bytes: 120,
    bwdBytes: 100,
    handshakeSeen: true,
    probability: fields.label === 'attack' ? 0.97 : 0.03,
    modelVersion: 'test',
    scoredAtMs: Date.now(),
    ...fields,
  };
}

/** Polls `check` until it returns a value other than undefined or false, or fails at the deadline. */
export async function waitFor<T>(what: string, check: () => T | undefined | false | Promise<T | undefined | false>, timeoutMs = 10_000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await check();
    if (value !== undefined && value !== false) return value;
    if (Date.now() > deadline) throw new Error(`Timed out after ${timeoutMs} ms waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 25));
  }
}
