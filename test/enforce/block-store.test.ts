import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { execa } from 'execa';
import { afterEach, describe, expect, it } from 'vitest';
import type { BlockRecord } from '../../src/enforce/block.ts';
import { BlockStore } from '../../src/enforce/block-store.ts';
import { isFlowguardError } from '../../src/errors/index.ts';
import { REPO_ROOT } from '../helpers/shared-data.ts';

const dirs: string[] = [];
async function tempDir(): Promise<string> {
  const dir = await mkdtemp(join(tmpdir(), 'fg-store-'));
  dirs.push(dir);
  return dir;
}

afterEach(async () => {
  for (const dir of dirs.splice(0)) await rm(dir, { recursive: true, force: true });
});

function record(target: string, decisionId: string): BlockRecord {
  return { target, durationMs: 60_000, reason: 'test', origin: 'manual', decisionId, family: 4, kind: 'host', createdAtMs: 1, expiresAtMs: 2 };
}

function targetOf(i: number): string {
  return `10.${(i >> 16) & 255}.${(i >> 8) & 255}.${i & 255}`;
}

describe('BlockStore', () => {
  it('reloads puts and deletes after close', async () => {
    const dir = await tempDir();
    const store = new BlockStore(dir, { compactEntries: 3 });
    await store.load();
    await store.commit([record('192.0.2.1', 'a'), record('192.0.2.2', 'b')], []);
    await store.commit([record('192.0.2.3', 'c')], ['192.0.2.1']);
    await store.commit([record('192.0.2.2', 'b2')], []);
    await store.close();

    const reloaded = new BlockStore(dir);
    await reloaded.load();
    expect([...reloaded.records.keys()].sort()).toEqual(['192.0.2.2', '192.0.2.3']);
    expect(reloaded.records.get('192.0.2.2')?.decisionId).toBe('b2');
    await reloaded.close();
  });

  it('skips a torn last journal line', async () => {
    const dir = await tempDir();
    const store = new BlockStore(dir);
    await store.load();
    await store.commit([record('192.0.2.1', 'a')], []);
    // Simulates a crash before close: the journal ends in half a line.
    const journal = join(dir, 'blocks.journal');
    await writeFile(journal, (await readFile(journal, 'utf8')) + '{"put":{"target":"192.0.2.9","dur');

    const reloaded = new BlockStore(dir);
    const report = await reloaded.load();
    expect(report.skippedLines).toBe(1);
    expect([...reloaded.records.keys()]).toEqual(['192.0.2.1']);
    await reloaded.close();
    await store.close();
  });

  it('rejects a corrupt snapshot with a coded error', async () => {
    const dir = await tempDir();
    await writeFile(join(dir, 'blocks.json'), '{"records": [');
    const store = new BlockStore(dir);
    const err = await store.load().catch((caught: unknown) => caught);
    expect(isFlowguardError(err, 'FG_ERR_ENFORCE_STORE_CORRUPT')).toBe(true);
    expect((err as Error).message).toContain('blocks.json');
  });

  it.each([40, 150, 400])('survives kill -9 mid-write after %i acks', async (killAfter) => {
    const dir = await tempDir();
    const child = execa('node', ['--import', 'tsx', join(REPO_ROOT, 'test/enforce/fixtures/store-writer.ts'), dir, '25'], {
      cwd: REPO_ROOT,
      reject: false,
      timeout: 60_000,
    });
    let acked = -1;
    await new Promise<void>((resolve, reject) => {
      let buffer = '';
      child.stdout!.on('data', (chunk: Buffer) => {
        buffer += chunk.toString();
        const lines = buffer.split('\n');
        buffer = lines.pop()!;
        for (const line of lines) {
          acked = Number(line.slice('acked '.length));
          if (acked >= killAfter) {
            child.kill('SIGKILL');
            resolve();
          }
        }
      });
      child.on('exit', () => resolve());
      child.catch(reject);
    });
    const result = await child;
    expect(result.signal).toBe('SIGKILL');
    expect(acked).toBeGreaterThanOrEqual(killAfter);

    const store = new BlockStore(dir);
    await store.load();
    // Every acknowledged put is there unless a later acknowledged commit deleted it. Commit
    // acked + 1 may have landed before the kill, and it deletes record acked when
    // (acked + 1) is a multiple of 7, so that one record may go either way.
    for (let i = 0; i < acked; i++) {
      const deletedLater = (i + 1) % 7 === 0;
      expect(store.records.has(targetOf(i)), `record ${i} of ${acked}`).toBe(!deletedLater);
    }
    if ((acked + 1) % 7 !== 0) expect(store.records.has(targetOf(acked)), `last acknowledged record ${acked}`).toBe(true);
    // At most the one commit in flight at the kill may have landed beyond the last ack.
    expect(store.records.size).toBeLessThanOrEqual(acked + 2);
    await store.close();
  });
});
