import { closeSync, openSync, writeSync } from 'node:fs';
import { flowOutputError } from '../errors/flow.ts';

/** Destination of writer output, written in chunks of at most a few tens of kilobytes. */
export interface FlowSink {
  write(chunk: string): void;
  close(): void;
}

/**
 * Opens a file (or '-' for standard output) as a blocking sink: each chunk is on disk when
 * `write` returns, so a slow disk slows the producer instead of growing a buffer.
 */
export function openFileSink(path: string): FlowSink {
  let fd: number;
  try {
    fd = path === '-' ? 1 : openSync(path, 'w');
  } catch (err) {
    throw flowOutputError(path, err);
  }
  return {
    write(chunk: string): void {
      const bytes = Buffer.from(chunk, 'utf8');
      let offset = 0;
      while (offset < bytes.length) {
        try {
          offset += writeSync(fd, bytes, offset);
        } catch (err) {
          // A non-blocking pipe on standard output reports EAGAIN when full; retry until it drains.
          if ((err as NodeJS.ErrnoException).code === 'EAGAIN') continue;
          throw flowOutputError(path, err);
        }
      }
    },
    close(): void {
      if (fd !== 1) closeSync(fd);
    },
  };
}

/** Collects output in memory; for tests and small extractions. */
export function memorySink(): FlowSink & { text(): string } {
  const chunks: string[] = [];
  return {
    write: (chunk) => void chunks.push(chunk),
    close: () => undefined,
    text: () => chunks.join(''),
  };
}

/** Batches lines into chunks of about `chunkBytes` before handing them to a sink. */
export class ChunkedWriter {
  readonly #sink: FlowSink;
  readonly #chunkChars: number;
  #pending: string[] = [];
  #pendingChars = 0;

  constructor(sink: FlowSink, chunkChars = 64 * 1024) {
    this.#sink = sink;
    this.#chunkChars = chunkChars;
  }

  writeLine(line: string): void {
    this.#pending.push(line, '\n');
    this.#pendingChars += line.length + 1;
    if (this.#pendingChars >= this.#chunkChars) this.flush();
  }

  flush(): void {
    if (this.#pending.length === 0) return;
    this.#sink.write(this.#pending.join(''));
    this.#pending = [];
    this.#pendingChars = 0;
  }

  close(): void {
    this.flush();
    this.#sink.close();
  }
}
