import { createWriteStream, type WriteStream } from 'node:fs';
import { rename, rm, stat } from 'node:fs/promises';
import { once } from 'node:events';
import type { Logger } from '../log.ts';
import type { Verdict } from './verdict.ts';
import type { VerdictLogOptions } from './scorer-options.ts';

/**
 * Appends verdicts to a JSON-lines file and rotates it by size. At `maxBytes`, PATH becomes
 * PATH.1, PATH.1 becomes PATH.2, and so on up to `maxFiles`. The oldest file is deleted.
 *
 * Bound: at most `maxPendingBytes` may wait for the disk. Past that, lines are dropped and
 * counted in `droppedLines` rather than buffered, so a slow disk cannot grow the heap.
 */
export class VerdictLog {
  readonly options: Readonly<VerdictLogOptions>;
  readonly #logger: Logger;
  #stream: WriteStream | undefined;
  #bytes = 0;
  #rotating: Promise<void> | undefined;
  #held: string[] = [];
  #heldBytes = 0;
  #writtenLines = 0;
  #droppedLines = 0;

  constructor(options: Readonly<VerdictLogOptions>, logger: Logger) {
    this.options = options;
    this.#logger = logger;
  }

  get writtenLines(): number {
    return this.#writtenLines;
  }

  get droppedLines(): number {
    return this.#droppedLines;
  }

  async open(): Promise<void> {
    this.#bytes = await stat(this.options.path).then((s) => s.size, () => 0);
    this.#stream = this.#openStream();
    await once(this.#stream, 'open');
  }

  #openStream(): WriteStream {
    const stream = createWriteStream(this.options.path, { flags: 'a' });
    stream.on('error', (err) => this.#logger.error({ err, path: this.options.path }, 'verdict log write failed'));
    return stream;
  }

  write(verdicts: readonly Verdict[]): void {
    if (verdicts.length === 0) return;
    const stream = this.#stream;
    const waiting = stream === undefined ? this.#heldBytes : stream.writableLength;
    if ((stream === undefined && this.#rotating === undefined) || waiting > this.options.maxPendingBytes) {
      this.#droppedLines += verdicts.length;
      return;
    }
    let text = '';
    for (const verdict of verdicts) text += JSON.stringify(verdict) + '\n';
    this.#writtenLines += verdicts.length;
    if (stream === undefined) {
      // Rotating: hold the lines until the new file is open.
      this.#held.push(text);
      this.#heldBytes += text.length;
      return;
    }
    this.#append(stream, text);
  }

  #append(stream: WriteStream, text: string): void {
    stream.write(text);
    this.#bytes += Buffer.byteLength(text);
    if (this.#bytes >= this.options.maxBytes) {
      // A rotation may start another one (held lines can fill the new file), so only the
      // rotation that is still current clears the marker.
      const rotation: Promise<void> = this.#rotate().finally(() => {
        if (this.#rotating === rotation) this.#rotating = undefined;
      });
      this.#rotating = rotation;
    }
  }

  async #rotate(): Promise<void> {
    const { path, maxFiles } = this.options;
    const old = this.#stream!;
    this.#stream = undefined;
    old.end();
    await once(old, 'close');
    try {
      await rm(`${path}.${maxFiles}`, { force: true });
      for (let i = maxFiles - 1; i >= 1; i--) {
        await rename(`${path}.${i}`, `${path}.${i + 1}`).catch((err: NodeJS.ErrnoException) => {
          if (err.code !== 'ENOENT') throw err;
        });
      }
      await rename(path, `${path}.1`);
    } catch (err) {
      this.#logger.error({ err, path }, 'verdict log rotation failed; appending to the current file');
    }
    this.#bytes = await stat(path).then((s) => s.size, () => 0);
    const stream = this.#openStream();
    await once(stream, 'open');
    this.#stream = stream;
    const held = this.#held.splice(0).join('');
    this.#heldBytes = 0;
    if (held !== '') this.#append(stream, held);
  }

  async close(): Promise<void> {
    while (this.#rotating !== undefined) await this.#rotating;
    const stream = this.#stream;
    this.#stream = undefined;
    if (stream === undefined) return;
    stream.end();
    await once(stream, 'close');
  }
}
