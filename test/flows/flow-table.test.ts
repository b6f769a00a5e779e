import { describe, expect, it } from 'vitest';
import { FlowTable, hashKey } from '../../src/flows/flow-table.ts';

describe('flow table', () => {
  it('agrees with a Map under random churn', () => {
    const table = new FlowTable(5_000, () => undefined);
    const model = new Map<string, number>();
    const none = new Uint8Array(16);
    let seed = 99;
    const random = (limit: number) => {
      seed = (Math.imul(seed, 1_103_515_245) + 12_345) >>> 0;
      return seed % limit;
    };
    // Few distinct keys, so inserts, finds and removes hit the same probe chains often.
    const keyOf = (k: number) => ({ a: k * 7, b: 1, ports: (k * 13) & 0xffff, proto: 6 | (4 << 8) });
    let mismatches = 0;
    for (let step = 0; step < 200_000; step++) {
      const k = random(8_000);
      const { a, b, ports, proto } = keyOf(k);
      const hash = (hashKey(a, b, ports, proto) & (random(4) === 0 ? 0xff : 0xffffffff)) >>> 0;
      const name = `${k}|${hash}`;
      const slot = table.find(hash, a, b, ports, proto, none, none);
      const expected = model.get(name);
      if ((expected ?? -1) !== slot) mismatches++;
      if (slot >= 0 && random(2) === 0) {
        table.remove(slot);
        model.delete(name);
      } else if (slot < 0 && !table.full) {
        const inserted = table.insert(hash, a, b, ports, proto, none, none);
        table.touch(inserted, 0);
        model.set(name, inserted);
      }
    }
    expect(mismatches).toBe(0);
    expect(table.size).toBe(model.size);
  });
});
