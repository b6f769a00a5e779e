import { enforceError } from '../errors/enforce.ts';
import { BLOCK_SETS, TRAP_SETS, type BlockSetName, type CounterValue, type KernelState, type TrapSetName } from './backend.ts';

type JsonObject = Record<string, unknown>;

/**
 * Parses the output of `nft -j list table` for our table. nft 1.0.6 prints an address as a
 * string, a prefix as `{"prefix":{"addr","len"}}`, an element with attributes as
 * `{"elem":{"val","timeout","expires","comment"}}` (seconds, whole) and omits `elem` when empty.
 */
export function parseTableJson(text: string): KernelState {
  const items = parseItems(text);
  const state: KernelState = { sets: [], elements: [], trapped: [], counters: {} };
  for (const item of items) {
    if (isObject(item.counter)) {
      const counter = item.counter;
      state.counters[String(counter.name)] = toCounter(counter);
      continue;
    }
    if (!isObject(item.set)) continue;
    const set = item.set;
    const name = String(set.name);
    state.sets.push(name);
    const elements = Array.isArray(set.elem) ? set.elem : [];
    if ((BLOCK_SETS as readonly string[]).includes(name)) {
      for (const raw of elements) {
        const element = parseElement(raw, text);
        state.elements.push({ set: name as BlockSetName, ...element });
      }
    } else if ((TRAP_SETS as readonly string[]).includes(name)) {
      for (const raw of elements) {
        const element = parseElement(raw, text);
        state.trapped.push({ set: name as TrapSetName, key: element.key, timeoutMs: element.timeoutMs, expiresMs: element.expiresMs ?? 0 });
      }
    }
  }
  return state;
}

/** Parses `nft -j list counters table …` into a map from counter name to its value. */
export function parseCountersJson(text: string): Record<string, CounterValue> {
  const counters: Record<string, CounterValue> = {};
  for (const item of parseItems(text)) {
    if (isObject(item.counter)) counters[String(item.counter.name)] = toCounter(item.counter);
  }
  return counters;
}

/** Keys of the elements in one `nft -j monitor` element event (`elem.set`). */
export function monitorElementKeys(elem: unknown): string[] {
  if (!isObject(elem) || !Array.isArray(elem.set)) return [];
  return elem.set.flatMap((raw) => {
    try {
      return [parseElement(raw, '').key];
    } catch {
      return [];
    }
  });
}

function parseItems(text: string): JsonObject[] {
  let parsed: unknown;
  try {
    parsed = JSON.parse(text);
  } catch (err) {
    throw enforceError('KERNEL_STATE', `nft printed output that is not JSON (${text.slice(0, 80)}…); check the nft version.`, {}, err);
  }
  if (!isObject(parsed) || !Array.isArray(parsed.nftables)) {
    throw enforceError('KERNEL_STATE', `nft printed JSON without an "nftables" array (${text.slice(0, 80)}…); check the nft version.`);
  }
  return parsed.nftables.filter(isObject);
}

function parseElement(raw: unknown, text: string): { key: string; timeoutMs: number; expiresMs?: number; comment?: string } {
  if (isObject(raw) && isObject(raw.elem)) {
    const elem = raw.elem;
    return {
      key: parseValue(elem.val, text),
      timeoutMs: typeof elem.timeout === 'number' ? elem.timeout * 1000 : 0,
      expiresMs: typeof elem.expires === 'number' ? elem.expires * 1000 : undefined,
      comment: typeof elem.comment === 'string' ? elem.comment : undefined,
    };
  }
  return { key: parseValue(raw, text), timeoutMs: 0 };
}

function parseValue(value: unknown, text: string): string {
  if (typeof value === 'string') return value;
  if (isObject(value) && isObject(value.prefix)) return `${String(value.prefix.addr)}/${Number(value.prefix.len)}`;
  // A range that is not a prefix can only come from another tool; keep it recognisable.
  if (isObject(value) && Array.isArray(value.range)) return `${String(value.range[0])}-${String(value.range[1])}`;
  throw enforceError('KERNEL_STATE', `nft listed a set element of unexpected shape ${JSON.stringify(value)} in ${text.slice(0, 80)}…`);
}

function toCounter(counter: JsonObject): CounterValue {
  return { packets: Number(counter.packets ?? 0), bytes: Number(counter.bytes ?? 0) };
}

function isObject(value: unknown): value is JsonObject {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}
