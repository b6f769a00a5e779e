import { describe, expect, it } from 'vitest';
import { parseTarget, targetsOverlap } from '../../src/enforce/target.ts';
import { isFlowguardError } from '../../src/errors/index.ts';

describe('parseTarget', () => {
  it.each([
    ['192.0.2.7', '192.0.2.7', 4, 'host'],
    ['192.0.2.7/32', '192.0.2.7', 4, 'host'],
    ['192.0.2.77/24', '192.0.2.0/24', 4, 'prefix'],
    ['::ffff:192.0.2.9', '192.0.2.9', 4, 'host'],
    ['::ffff:192.0.2.9/120', '192.0.2.0/24', 4, 'prefix'],
    ['2001:DB8:0:0:0:0:0:1', '2001:db8::1', 6, 'host'],
    ['2001:db8::1/128', '2001:db8::1', 6, 'host'],
    ['2001:db8:abcd:1234::5/32', '2001:db8::/32', 6, 'prefix'],
  ] as const)('normalises %s', (input, key, family, kind) => {
    const target = parseTarget(input);
    expect(target.key).toBe(key);
    expect(target.family).toBe(family);
    expect(target.kind).toBe(kind);
  });

  it.each(['', 'example.com', '192.0.2.300', '192.0.2', '0x7f.1', '10.0.0.1/33', '10.0.0.1/-1', '10.0.0.1/ 8', 'fe80::1%eth0', '192.0.2.1; flush ruleset', '"', '10.0.0.0/4', '::/0', '::ffff:1.2.3.4/64'])(
    'rejects %j with a coded error naming it',
    (input) => {
      let caught: unknown;
      try {
        parseTarget(input);
      } catch (err) {
        caught = err;
      }
      expect(isFlowguardError(caught, 'FG_ERR_ENFORCE_INVALID_TARGET')).toBe(true);
      expect((caught as Error).message).toContain(JSON.stringify(input));
    },
  );

  it('detects overlap between a prefix and a host inside it', () => {
    expect(targetsOverlap(parseTarget('198.51.100.0/24'), parseTarget('198.51.100.9'))).toBe(true);
    expect(targetsOverlap(parseTarget('198.51.100.0/24'), parseTarget('198.51.101.9'))).toBe(false);
    expect(targetsOverlap(parseTarget('2001:db8::/32'), parseTarget('2001:db8:1::/48'))).toBe(true);
    expect(targetsOverlap(parseTarget('2001:db8::/32'), parseTarget('192.0.2.1'))).toBe(false);
  });
});
