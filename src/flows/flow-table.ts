/**
 * The flow table: an open-addressing hash index over flow slots whose keys and list links live in
 * typed arrays, so looking up or inserting a flow allocates nothing.
 *
 * A key is two endpoints A and B (address and port) and a protocol, in the canonical order the
 * meter chooses. IPv4 addresses are stored as unsigned 32-bit integers; an IPv6 flow stores a
 * 32-bit hash of each address in the same fields and the 16-byte addresses in a side slab.
 *
 * Every slot is on exactly one of `LIST_COUNT` doubly linked lists, most recently active first,
 * which gives idle expiry and least-recently-active eviction in constant time per flow.
 */

export const LIST_COUNT = 7;
/** Lists 0–2 hold one-packet flows of class TCP, UDP, other; lists 3–5 hold longer flows. */
export const LIST_MULTI_OFFSET = 3;
/** TCP flows closed by FINs or an RST, waiting out the linger. */
export const LIST_CLOSING = 6;

const EMPTY = 0;

export class FlowTable {
  readonly maxFlows: number;
  capacity: number;
  size = 0;

  keyA: Uint32Array;
  keyB: Uint32Array;
  /** Port of A in the high 16 bits, port of B in the low 16 bits. */
  keyPorts: Uint32Array;
  /** Protocol in the low 8 bits, IP version in the next 8. */
  keyProto: Uint16Array;
  hashOf: Uint32Array;
  /** 32 bytes per slot (address A then B) for IPv6 flows, allocated on the first IPv6 flow. */
  v6: Uint8Array | null = null;

  prev: Int32Array;
  next: Int32Array;
  listOf: Uint8Array;
  readonly heads = new Int32Array(LIST_COUNT).fill(-1);
  readonly tails = new Int32Array(LIST_COUNT).fill(-1);

  #index: Int32Array;
  #mask: number;
  #free: Int32Array;
  #freeCount = 0;
  #used = 0;
  #onGrow: (capacity: number) => void;

  /** `onGrow` is called after the slot arrays grew, so the owner can grow its per-slot arrays. */
  constructor(maxFlows: number, onGrow: (capacity: number) => void) {
    this.maxFlows = maxFlows;
    this.#onGrow = onGrow;
    this.capacity = Math.min(maxFlows, 1024);
    this.keyA = new Uint32Array(this.capacity);
    this.keyB = new Uint32Array(this.capacity);
    this.keyPorts = new Uint32Array(this.capacity);
    this.keyProto = new Uint16Array(this.capacity);
    this.hashOf = new Uint32Array(this.capacity);
    this.prev = new Int32Array(this.capacity);
    this.next = new Int32Array(this.capacity);
    this.listOf = new Uint8Array(this.capacity);
    this.#free = new Int32Array(this.capacity);
    const indexSize = indexSizeFor(this.capacity);
    this.#index = new Int32Array(indexSize);
    this.#mask = indexSize - 1;
  }

  get full(): boolean {
    return this.size >= this.maxFlows;
  }

  /** Returns the slot of the key, or -1. `a6`/`b6` are read only when `version` is 6. */
  find(hash: number, a: number, b: number, ports: number, proto: number, a6: Uint8Array, b6: Uint8Array): number {
    const index = this.#index;
    const mask = this.#mask;
    let at = hash & mask;
    for (;;) {
      const entry = index[at];
      if (entry === EMPTY) return -1;
      const slot = entry - 1;
      if (
        this.hashOf[slot] === hash &&
        this.keyA[slot] === a &&
        this.keyB[slot] === b &&
        this.keyPorts[slot] === ports &&
        this.keyProto[slot] === proto &&
        ((proto >> 8) !== 6 || this.#sameV6(slot, a6, b6))
      ) {
        return slot;
      }
      at = (at + 1) & mask;
    }
  }

  /** Inserts a key that is not in the table and returns its slot; the caller makes room first. */
  insert(hash: number, a: number, b: number, ports: number, proto: number, a6: Uint8Array, b6: Uint8Array): number {
    if (this.size >= this.maxFlows) throw new Error(`flow table full (${this.maxFlows} flows): evict before inserting`);
    let slot: number;
    if (this.#freeCount > 0) {
      slot = this.#free[--this.#freeCount];
    } else {
      if (this.#used === this.capacity) this.#grow();
      slot = this.#used++;
    }
    this.keyA[slot] = a;
    this.keyB[slot] = b;
    this.keyPorts[slot] = ports;
    this.keyProto[slot] = proto;
    this.hashOf[slot] = hash;
    if (proto >> 8 === 6) {
      if (this.v6 === null) this.v6 = new Uint8Array(this.capacity * 32);
      this.v6.set(a6, slot * 32);
      this.v6.set(b6, slot * 32 + 16);
    }
    const index = this.#index;
    const mask = this.#mask;
    let at = hash & mask;
    while (index[at] !== EMPTY) at = (at + 1) & mask;
    index[at] = slot + 1;
    this.size++;
    this.listOf[slot] = 255;
    return slot;
  }

  /** Removes a slot from the index and from its list, and frees it. */
  remove(slot: number): void {
    this.unlink(slot);
    const index = this.#index;
    const mask = this.#mask;
    let hole = this.hashOf[slot] & mask;
    while (index[hole] !== slot + 1) hole = (hole + 1) & mask;
    index[hole] = EMPTY;
    // Backward-shift deletion keeps every probe chain of linear probing unbroken.
    let at = hole;
    for (;;) {
      at = (at + 1) & mask;
      const entry = index[at];
      if (entry === EMPTY) break;
      const home = this.hashOf[entry - 1] & mask;
      const movable = hole <= at ? home <= hole || home > at : home <= hole && home > at;
      if (movable) {
        index[hole] = entry;
        index[at] = EMPTY;
        hole = at;
      }
    }
    this.#free[this.#freeCount++] = slot;
    this.size--;
  }

  /** Empties the table at once (cheaper than removing every slot). */
  clear(): void {
    this.#index.fill(EMPTY);
    this.heads.fill(-1);
    this.tails.fill(-1);
    this.#freeCount = 0;
    this.#used = 0;
    this.size = 0;
  }

  /** Moves a slot to the head (most recent end) of a list. */
  touch(slot: number, list: number): void {
    if (this.listOf[slot] === list && this.heads[list] === slot) return;
    this.unlink(slot);
    const head = this.heads[list];
    this.prev[slot] = -1;
    this.next[slot] = head;
    if (head >= 0) this.prev[head] = slot;
    else this.tails[list] = slot;
    this.heads[list] = slot;
    this.listOf[slot] = list;
  }

  unlink(slot: number): void {
    const list = this.listOf[slot];
    if (list === 255) return;
    const before = this.prev[slot];
    const after = this.next[slot];
    if (before >= 0) this.next[before] = after;
    else this.heads[list] = after;
    if (after >= 0) this.prev[after] = before;
    else this.tails[list] = before;
    this.listOf[slot] = 255;
  }

  #sameV6(slot: number, a6: Uint8Array, b6: Uint8Array): boolean {
    const v6 = this.v6;
    if (v6 === null) return false;
    const base = slot * 32;
    for (let k = 0; k < 16; k++) {
      if (v6[base + k] !== a6[k] || v6[base + 16 + k] !== b6[k]) return false;
    }
    return true;
  }

  #grow(): void {
    const capacity = Math.min(this.maxFlows, this.capacity * 2);
    this.keyA = grown(this.keyA, new Uint32Array(capacity));
    this.keyB = grown(this.keyB, new Uint32Array(capacity));
    this.keyPorts = grown(this.keyPorts, new Uint32Array(capacity));
    this.keyProto = grown(this.keyProto, new Uint16Array(capacity));
    this.hashOf = grown(this.hashOf, new Uint32Array(capacity));
    this.prev = grown(this.prev, new Int32Array(capacity));
    this.next = grown(this.next, new Int32Array(capacity));
    this.listOf = grown(this.listOf, new Uint8Array(capacity));
    this.#free = grown(this.#free, new Int32Array(capacity));
    if (this.v6 !== null) this.v6 = grown(this.v6, new Uint8Array(capacity * 32));
    this.capacity = capacity;

    const indexSize = indexSizeFor(capacity);
    if (indexSize !== this.#index.length) {
      const index = new Int32Array(indexSize);
      const mask = indexSize - 1;
      for (const entry of this.#index) {
        if (entry === EMPTY) continue;
        let at = this.hashOf[entry - 1] & mask;
        while (index[at] !== EMPTY) at = (at + 1) & mask;
        index[at] = entry;
      }
      this.#index = index;
      this.#mask = mask;
    }
    this.#onGrow(capacity);
  }
}

/** Index size: a power of two with a load factor of at most one half. */
function indexSizeFor(capacity: number): number {
  let size = 16;
  while (size < capacity * 2) size *= 2;
  return size;
}

function grown<T extends Uint8Array | Uint16Array | Uint32Array | Int32Array | Float64Array>(from: T, to: T): T {
  to.set(from as never);
  return to;
}

/** Mixes the key fields into a 32-bit hash (murmur3-style finaliser rounds). */
export function hashKey(a: number, b: number, ports: number, proto: number): number {
  let h = Math.imul(a ^ 0x9e3779b9, 0x85ebca6b);
  h ^= h >>> 13;
  h = Math.imul(h ^ b, 0xc2b2ae35);
  h ^= h >>> 16;
  h = Math.imul(h ^ ports, 0x85ebca6b);
  h ^= h >>> 13;
  h = Math.imul(h ^ proto, 0xc2b2ae35);
  h ^= h >>> 16;
  return h >>> 0;
}

/** 32-bit FNV-1a hash of 16 address bytes, the stand-in for an IPv6 address in the key fields. */
export function hashV6(bytes: Uint8Array): number {
  let h = 0x811c9dc5;
  for (let k = 0; k < 16; k++) h = Math.imul(h ^ bytes[k], 0x01000193);
  return h >>> 0;
}
