import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { main } from '../../src/cli.ts';
import { GENERATED_LABELLED_FLOWS_HEADERS } from '../../src/flows/columns.ts';
import { hasSharedData, reportMissingSharedData, sharedPath } from '../helpers/shared-data.ts';

reportMissingSharedData('flowguard extract');

const dir = mkdtempSync(join(tmpdir(), 'fg-extract-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe.skipIf(!hasSharedData)('flowguard extract', () => {
  const capture = () => sharedPath('pcaps', 'attacks', 'savio_hulk.pcap');

  it('writes a cic2017 CSV', async () => {
    const output = join(dir, 'hulk.csv');
    expect(await main(['extract', capture(), '-o', output, '--mode', 'cic2017', '--label', 'DoS Hulk'])).toBe(0);
    const lines = readFileSync(output, 'utf8').trimEnd().split('\n');
    expect(lines[0]).toBe(GENERATED_LABELLED_FLOWS_HEADERS.join(','));
    expect(lines).toHaveLength(1 + 39);
    expect(lines.slice(1).every((line) => line.split(',').length === 85 && line.endsWith(',DoS Hulk'))).toBe(true);
  });

  it('writes JSON lines with the extra fields', async () => {
    const output = join(dir, 'hulk.jsonl');
    expect(await main(['extract', capture(), '-o', output])).toBe(0);
    const records = readFileSync(output, 'utf8')
      .trimEnd()
      .split('\n')
      .map((line) => JSON.parse(line));
    expect(records.length).toBeGreaterThan(0);
    expect(records.every((record) => record.mode === 'corrected' && typeof record.exportReason === 'string')).toBe(true);
    expect(records.some((record) => record.handshakeSeen)).toBe(true);
  });

  it('rejects an unknown mode as a usage error', async () => {
    expect(await main(['extract', capture(), '-o', join(dir, 'x.csv'), '--mode', 'fixed'])).toBe(2);
    expect(await main(['extract', '-o', join(dir, 'x.csv')])).toBe(2);
  });
});
