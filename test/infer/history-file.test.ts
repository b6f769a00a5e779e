import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { readHistoryFile, writeHistoryFile } from '../../src/infer/history-file.ts';
import { HISTORY_ROW_LENGTH } from '../../src/infer/window-builder.ts';

describe('source history file', () => {
  let folder: string;
  const rows = Float32Array.from({ length: 3 * HISTORY_ROW_LENGTH }, (_, i) => i / 7);
  const snapshot = { windowLength: 10, groups: ['192.0.2.1', '2001:db8::/64'], counts: [2, 1], rows };

  beforeAll(async () => {
    folder = await mkdtemp(join(tmpdir(), 'fg-history-'));
  });

  afterAll(async () => {
    await rm(folder, { recursive: true, force: true });
  });

  it('reads back what it wrote', async () => {
    const path = join(folder, 'round-trip.bin');
    await writeHistoryFile(path, snapshot, 1_800_000_000_000);
    const saved = await readHistoryFile(path);
    expect(saved.savedAtMs).toBe(1_800_000_000_000);
    expect(saved.snapshot.groups).toEqual(snapshot.groups);
    expect(saved.snapshot.counts).toEqual(snapshot.counts);
    expect([...saved.snapshot.rows]).toEqual([...rows]);
  });

  const damaged: Array<{ name: string; bytes: (good: Buffer) => Buffer; reason: RegExp }> = [
    { name: 'another file', bytes: () => Buffer.from('{"formatVersion":1}'), reason: /does not start with the flowguard history header/ },
    { name: 'a cut header', bytes: (good) => good.subarray(0, 20), reason: /header is cut/ },
    { name: 'cut rows', bytes: (good) => good.subarray(0, good.length - 4), reason: /bytes of rows, expected/ },
    { name: 'a header that is not JSON', bytes: (good) => Buffer.concat([good.subarray(0, 12), Buffer.from('x'), good.subarray(13)]), reason: /not JSON/ },
  ];

  for (const testCase of damaged) {
    it(`rejects ${testCase.name} with the file name and the fix`, async () => {
      const good = join(folder, 'good.bin');
      await writeHistoryFile(good, snapshot, 1);
      const path = join(folder, `${testCase.name.replace(/\W+/g, '-')}.bin`);
      await writeFile(path, testCase.bytes(await readFile(good)));
      const error = await readHistoryFile(path).catch((err: unknown) => err);
      expect(error).toMatchObject({ code: 'FG_ERR_MODEL_HISTORIES_INVALID' });
      expect((error as Error).message).toContain(path);
      expect((error as Error).message).toMatch(testCase.reason);
      expect((error as Error).message).toContain('Delete the file');
    });
  }
});
