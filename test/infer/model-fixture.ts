import { execFileSync } from 'node:child_process';
import { mkdtempSync, writeFileSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { FEATURE_COUNT, FEATURE_INDEX, FEATURE_NAMES } from '../../src/flows/columns.ts';
import type { FlowRecord } from '../../src/flows/flow-record.ts';

const SCRIPT = fileURLToPath(new URL('./fixtures/make-model.py', import.meta.url));

export interface FixtureModel {
  dir: string;
  modelPath: string;
  cardPath: string;
  /** Raw windows and the probabilities PyTorch computed for them. */
  expected: { windows: number[][][]; probabilities: number[] };
  remove(): void;
}

/**
 * Writes a small random-weight LSTM (ONNX, opset 17) and its card into a new temporary folder
 * with Debian's PyTorch. Protocols from `attackProtocol` (17 by default) up score as attack, lower
 * ones as benign.
 */
export function makeFixtureModel(options: { name?: string; version?: string; mode?: string; seed?: number; arch?: 'small' | 'reference'; attackProtocol?: number } = {}): FixtureModel {
  const dir = mkdtempSync(join(tmpdir(), 'fg-model-'));
  const featuresFile = join(dir, 'features.json');
  writeFileSync(featuresFile, JSON.stringify(FEATURE_NAMES));
  const name = options.name ?? 'model';
  execFileSync('/usr/bin/python3', [
    SCRIPT, dir, '--features', featuresFile, '--name', name,
    '--version', options.version ?? 'fixture-1', '--mode', options.mode ?? 'corrected', '--seed', String(options.seed ?? 7),
    '--arch', options.arch ?? 'small',
    '--attack-protocol', String(options.attackProtocol ?? 17),
  ], { stdio: ['ignore', 'ignore', 'pipe'] });
  return {
    dir,
    modelPath: join(dir, `${name}.onnx`),
    cardPath: join(dir, `${name}.json`),
    expected: JSON.parse(readFileSync(join(dir, `${name}.expected.json`), 'utf8')),
    remove: () => rmSync(dir, { recursive: true, force: true }),
  };
}

let nextId = 1;

/** Builds a flow record with every feature set to `fill`, then the overrides by feature name. */
export function makeFlowRecord(overrides: Partial<FlowRecord> & { featureValues?: Record<string, number>; fill?: number } = {}): FlowRecord {
  const features = new Float64Array(FEATURE_COUNT).fill(overrides.fill ?? 10);
  for (const [name, value] of Object.entries(overrides.featureValues ?? {})) {
    features[FEATURE_INDEX[name as keyof typeof FEATURE_INDEX]] = value;
  }
  const { featureValues: _values, fill: _fill, ...rest } = overrides;
  const id = nextId++;
  return {
    id,
    flowId: `192.0.2.1-198.51.100.1-40000-80-6`,
    mode: 'corrected',
    ipVersion: 4,
    srcAddr: '192.0.2.1',
    srcPort: 40000,
    dstAddr: '198.51.100.1',
    dstPort: 80,
    protocol: 6,
    startUs: 1_700_000_000_000_000 + id * 1000,
    endUs: 1_700_000_000_000_000 + id * 1000 + 500,
    exportReason: 'fin',
    handshakeSeen: true,
    icmpType: -1,
    icmpCode: -1,
    features,
    ...rest,
  };
}
