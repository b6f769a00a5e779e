import type { Component } from '../lifecycle.ts';
import type { PacketCounts } from './capture-counters.ts';

/**
 * A source of decoded packets with the common lifecycle: `start()` begins delivery to the
 * handler given at construction, `close()` stops intake and flushes what is buffered,
 * `destroy(err)` stops at once. The packet object handed to the handler is reused.
 *
 * Events: 'end' (with the final stats) when a finite source runs out, 'error' on failure.
 */
export interface PacketSource extends Pick<Component, 'start' | 'close' | 'destroy' | 'state' | 'name' | 'on' | 'once' | 'off'> {
  readonly kind: 'file' | 'live';
  /** Counts so far; safe to call at any time, allocates a fresh snapshot. */
  counts(): PacketCounts;
}
