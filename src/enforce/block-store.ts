import { mkdir, open, readFile, rename, rm, type FileHandle } from 'node:fs/promises';
import { join } from 'node:path';
import { enforceError } from '../errors/enforce.ts';
import type { BlockRecord } from './block.ts';

const SNAPSHOT_FILE = 'blocks.json';
const JOURNAL_FILE = 'blocks.journal';

export interface BlockStoreLoadReport {
  records: number;
  journalLines: number;
  /** Journal lines that could not be parsed, normally the one torn by a crash mid-write. */
  skippedLines: number;
}

/**
 * Active blocks on disk: a JSON snapshot replaced atomically (temp file, fsync, rename) plus an
 * append-only journal of the changes since. A kill -9 mid-append leaves at most one torn last
 * line, which `load` skips; a kill mid-snapshot leaves the previous snapshot and the journal
 * intact. Replaying a journal over a newer snapshot is harmless because each line is a whole
 * record or a delete.
 */
export class BlockStore {
  readonly dir: string;
  readonly #compactEntries: number;
  readonly #records = new Map<string, BlockRecord>();
  #journal: FileHandle | undefined;
  #journalLines = 0;
  #queue: Promise<void> = Promise.resolve();

  constructor(dir: string, options: { compactEntries?: number } = {}) {
    this.dir = dir;
    this.#compactEntries = options.compactEntries ?? 20_000;
  }

  /** Active records by target key; mutate only through `commit`. */
  get records(): ReadonlyMap<string, BlockRecord> {
    return this.#records;
  }

  async load(): Promise<BlockStoreLoadReport> {
    await mkdir(this.dir, { recursive: true });
    this.#records.clear();
    const snapshotPath = join(this.dir, SNAPSHOT_FILE);
    const snapshot = await readOptional(snapshotPath);
    if (snapshot !== undefined) {
      let parsed: { records?: BlockRecord[] };
      try {
        parsed = JSON.parse(snapshot) as { records?: BlockRecord[] };
      } catch (err) {
        throw enforceError('STORE_CORRUPT', `Block store snapshot ${snapshotPath} is not valid JSON; move it away to start with an empty store.`, { path: snapshotPath }, err);
      }
      if (!Array.isArray(parsed.records)) {
        throw enforceError('STORE_CORRUPT', `Block store snapshot ${snapshotPath} has no "records" array; move it away to start with an empty store.`, { path: snapshotPath });
      }
      for (const record of parsed.records) this.#records.set(record.target, record);
    }

    const journal = (await readOptional(join(this.dir, JOURNAL_FILE))) ?? '';
    let journalLines = 0;
    let skippedLines = 0;
    for (const line of journal.split('\n')) {
      if (line === '') continue;
      journalLines++;
      try {
        const entry = JSON.parse(line) as { put?: BlockRecord; delete?: string };
        if (entry.put) this.#records.set(entry.put.target, entry.put);
        else if (typeof entry.delete === 'string') this.#records.delete(entry.delete);
        else skippedLines++;
      } catch {
        skippedLines++;
      }
    }

    await rm(join(this.dir, `${SNAPSHOT_FILE}.tmp`), { force: true });
    // Start from a clean snapshot so a torn line never sits in the middle of the journal.
    await this.#writeSnapshot();
    // O_APPEND: after truncate(0) the next write lands at offset 0, not at the old position.
    this.#journal = await open(join(this.dir, JOURNAL_FILE), 'a');
    await this.#journal.truncate(0);
    this.#journalLines = 0;
    return { records: this.#records.size, journalLines, skippedLines };
  }

  /** Writes puts and deletes as one journal append (one fdatasync), compacting when it grew long. */
  commit(puts: readonly BlockRecord[], deletes: readonly string[]): Promise<void> {
    const run = this.#queue.then(() => this.#commit(puts, deletes));
    this.#queue = run.catch(() => undefined);
    return run;
  }

  async close(): Promise<void> {
    await this.#queue;
    if (!this.#journal) return;
    await this.#writeSnapshot();
    await this.#journal.truncate(0);
    await this.#journal.close();
    this.#journal = undefined;
  }

  async #commit(puts: readonly BlockRecord[], deletes: readonly string[]): Promise<void> {
    if (!this.#journal) throw enforceError('NOT_RUNNING', `Block store in ${this.dir} is not open; call load() first.`);
    if (puts.length === 0 && deletes.length === 0) return;
    let text = '';
    for (const key of deletes) {
      text += JSON.stringify({ delete: key }) + '\n';
      this.#records.delete(key);
    }
    for (const record of puts) {
      text += JSON.stringify({ put: record }) + '\n';
      this.#records.set(record.target, record);
    }
    await this.#journal.write(text);
    await this.#journal.datasync();
    this.#journalLines += puts.length + deletes.length;
    if (this.#journalLines >= this.#compactEntries) {
      await this.#writeSnapshot();
      await this.#journal.truncate(0);
      this.#journalLines = 0;
    }
  }

  async #writeSnapshot(): Promise<void> {
    const path = join(this.dir, SNAPSHOT_FILE);
    const temp = `${path}.tmp`;
    const handle = await open(temp, 'w');
    try {
      await handle.write(JSON.stringify({ version: 1, records: [...this.#records.values()] }));
      await handle.sync();
    } finally {
      await handle.close();
    }
    await rename(temp, path);
    const directory = await open(this.dir, 'r');
    try {
      await directory.sync();
    } finally {
      await directory.close();
    }
  }
}

async function readOptional(path: string): Promise<string | undefined> {
  try {
    return await readFile(path, 'utf8');
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
    throw err;
  }
}
