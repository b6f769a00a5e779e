import { readFile, rename, writeFile } from 'node:fs/promises';
import { ModelError } from '../errors/model.ts';
import { HISTORY_ROW_LENGTH, type HistorySnapshot } from './window-builder.ts';

/** Magic bytes at the start of a history file. The digit is the format version. */
const MAGIC = Buffer.from('FGHIST1\n', 'latin1');

interface HistoryHeader {
  savedAtMs: number;
  windowLength: number;
  rowLength: number;
  groups: string[];
  counts: number[];
}

export interface SavedHistories {
  snapshot: HistorySnapshot;
  savedAtMs: number;
}

/**
 * Writes the scorer's source histories to `path` (through a temporary file, renamed into place):
 * the magic line, a 4-byte little-endian header length, the JSON header, then the float32 rows.
 * The rows are in the host's byte order, because only this host reads them back.
 */
export async function writeHistoryFile(path: string, snapshot: HistorySnapshot, savedAtMs: number): Promise<void> {
  const header: HistoryHeader = { savedAtMs, windowLength: snapshot.windowLength, rowLength: HISTORY_ROW_LENGTH, groups: snapshot.groups, counts: snapshot.counts };
  const json = Buffer.from(JSON.stringify(header), 'utf8');
  const length = Buffer.alloc(4);
  length.writeUInt32LE(json.length, 0);
  const rows = Buffer.from(snapshot.rows.buffer, snapshot.rows.byteOffset, snapshot.rows.byteLength);
  const temporary = `${path}.tmp`;
  await writeFile(temporary, Buffer.concat([MAGIC, length, json, rows]));
  await rename(temporary, path);
}

/** Reads a file written by writeHistoryFile. Throws FG_ERR_MODEL_HISTORIES_INVALID for a damaged file. */
export async function readHistoryFile(path: string): Promise<SavedHistories> {
  const data = await readFile(path);
  const invalid = (reason: string) =>
    new ModelError('HISTORIES_INVALID', `saved source histories in ${path} are invalid: ${reason}. Delete the file to start with empty histories.`, {
      details: { path },
    });
  if (data.length < MAGIC.length + 4 || !data.subarray(0, MAGIC.length).equals(MAGIC)) throw invalid('it does not start with the flowguard history header');
  const headerLength = data.readUInt32LE(MAGIC.length);
  const headerEnd = MAGIC.length + 4 + headerLength;
  if (headerEnd > data.length) throw invalid(`the header is cut (${headerLength} bytes announced, ${data.length - MAGIC.length - 4} present)`);
  let header: HistoryHeader;
  try {
    header = JSON.parse(data.subarray(MAGIC.length + 4, headerEnd).toString('utf8')) as HistoryHeader;
  } catch (err) {
    throw invalid(`the header is not JSON (${(err as Error).message})`);
  }
  const { savedAtMs, windowLength, rowLength, groups, counts } = header;
  if (!Number.isFinite(savedAtMs) || !Number.isInteger(windowLength) || windowLength < 1) throw invalid('savedAtMs or windowLength is missing or invalid');
  if (rowLength !== HISTORY_ROW_LENGTH) throw invalid(`rows hold ${rowLength} values, this version stores ${HISTORY_ROW_LENGTH}`);
  if (!Array.isArray(groups) || !Array.isArray(counts) || groups.length !== counts.length || !groups.every((group) => typeof group === 'string')) {
    throw invalid('groups and counts do not match');
  }
  if (!counts.every((count) => Number.isInteger(count) && count >= 0 && count <= windowLength)) throw invalid(`a count is outside 0..${windowLength}`);
  const values = counts.reduce((sum, count) => sum + count, 0) * rowLength;
  if (data.length - headerEnd !== values * 4) throw invalid(`${data.length - headerEnd} bytes of rows, expected ${values * 4}`);
  // Copy: the rows start at any byte offset, and a Float32Array view needs a multiple of 4.
  const rows = new Float32Array(data.buffer.slice(data.byteOffset + headerEnd, data.byteOffset + data.length));
  return { snapshot: { windowLength, groups, counts, rows }, savedAtMs };
}
