import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { FastifyInstance } from 'fastify';
import { buildApiApp } from '../../src/api/server.ts';
import { MemoryGatewayServices } from '../../src/api/memory-services.ts';
import { API_ERRORS } from '../../src/errors/api.ts';
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { REPO_ROOT } from '../helpers/shared-data.ts';
import { AUTH, TOKEN, capturingLogger, makeVerdict } from './helpers.ts';

let services: MemoryGatewayServices;
let app: FastifyInstance;
let records: Record<string, unknown>[];

async function setup(options: Parameters<typeof buildApiApp>[0]['options'] = { token: TOKEN }) {
  services = new MemoryGatewayServices({ allowlist: ['203.0.113.0/24'], ownAddresses: ['198.51.100.1'] });
  await services.start();
  const captured = capturingLogger();
  records = captured.records;
  ({ app } = await buildApiApp({ services, options, logger: captured.logger }));
}

async function addBlock(address: string, duration = '10m', reason = 'test') {
  return app.inject({ method: 'POST', url: '/blocks', headers: AUTH, payload: { address, duration, reason } });
}

afterEach(async () => {
  await app?.close();
  await services?.close();
});

describe('API auth', () => {
  beforeEach(() => setup());

  it('rejects a write without a token', async () => {
    const response = await app.inject({ method: 'POST', url: '/blocks', payload: { address: '192.0.2.7', duration: '10m', reason: 'x' } });
    expect(response.statusCode).toBe(401);
    expect(response.json().code).toBe('FG_ERR_API_UNAUTHORIZED');
    expect(response.json().message).toContain('Missing bearer token');
  });

  it('rejects a write with a wrong token', async () => {
    const response = await app.inject({
      method: 'POST',
      url: '/blocks',
      headers: { authorization: 'Bearer wrong-token-of-another-length' },
      payload: { address: '192.0.2.7', duration: '10m', reason: 'x' },
    });
    expect(response.statusCode).toBe(401);
    expect(response.json().message).toContain('Wrong bearer token');
    expect((await services.blocks.list({ offset: 0, limit: 10 })).total).toBe(0);
  });

  it('rejects a malformed authorization header', async () => {
    const response = await app.inject({ method: 'DELETE', url: '/blocks/192.0.2.7', headers: { authorization: `Basic ${TOKEN}` } });
    expect(response.statusCode).toBe(401);
  });

  it('accepts a write with the right token', async () => {
    const response = await addBlock('192.0.2.7');
    expect(response.statusCode).toBe(201);
    expect(response.json()).toMatchObject({ target: '192.0.2.7', origin: 'manual', durationMs: 600_000, family: 4, kind: 'host' });
  });

  it('serves reads without a token by default', async () => {
    for (const url of ['/blocks', '/verdicts', '/stats', '/metrics', '/health', '/openapi.json', '/']) {
      expect((await app.inject(url)).statusCode, url).toBe(200);
    }
  });

  it('writes an audit entry for every change and attempt', async () => {
    await addBlock('192.0.2.7');
    await app.inject({ method: 'DELETE', url: '/blocks/192.0.2.7', headers: { ...AUTH, 'x-flowguard-actor': 'alice' } });
    await app.inject({ method: 'DELETE', url: '/blocks/192.0.2.8' });
    const audit = records.filter((record) => record.component === 'api-audit');
    expect(audit).toHaveLength(3);
    expect(audit[0]).toMatchObject({ action: 'block.add', actor: 'token-holder', target: '192.0.2.7', outcome: 'applied', statusCode: 201 });
    expect(audit[1]).toMatchObject({ action: 'block.remove', actor: 'alice', target: '192.0.2.7', outcome: 'applied', statusCode: 200 });
    expect(audit[2]).toMatchObject({ action: 'block.remove', target: '192.0.2.8', outcome: 'rejected', statusCode: 401 });
    for (const entry of audit) {
      expect(typeof entry.atMs).toBe('number');
      expect(entry.remoteAddress).toBe('127.0.0.1');
    }
    expect(JSON.stringify(records)).not.toContain(TOKEN);
  });
});

describe('API host check on loopback', () => {
  beforeEach(() => setup());

  it('accepts loopback host names', async () => {
    for (const host of ['localhost:8780', '127.0.0.1:8780', '[::1]:8780', 'dashboard.localhost', '127.0.0.1']) {
      expect((await app.inject({ url: '/stats', headers: { host } })).statusCode, host).toBe(200);
    }
  });

  it('rejects other host names with 403', async () => {
    for (const host of ['evil.example:8780', '192.0.2.1:8780', 'localhost.evil.example']) {
      const response = await app.inject({ url: '/stats', headers: { host } });
      expect(response.statusCode, host).toBe(403);
      expect(response.json().code, host).toBe('FG_ERR_API_HOST_REJECTED');
    }
  });
});

describe('API auth without a token', () => {
  beforeEach(() => setup({}));

  it('disables writes with 403', async () => {
    const response = await addBlock('192.0.2.7');
    expect(response.statusCode).toBe(403);
    expect(response.json().code).toBe('FG_ERR_API_WRITES_DISABLED');
    expect(response.json().message).toContain('FLOWGUARD_API_TOKEN');
  });
});

describe('API auth when reads need the token', () => {
  beforeEach(() => setup({ token: TOKEN, readsNeedToken: true }));

  it('rejects reads without the token', async () => {
    for (const url of ['/blocks', '/blocks/192.0.2.7', '/verdicts', '/sources/192.0.2.7', '/stats', '/metrics', '/events']) {
      expect((await app.inject(url)).statusCode, url).toBe(401);
    }
  });

  it('keeps health, the OpenAPI document and the dashboard public', async () => {
    for (const url of ['/health', '/openapi.json', '/', '/app.js']) expect((await app.inject(url)).statusCode, url).toBe(200);
  });

  it('serves reads with the token', async () => {
    expect((await app.inject({ url: '/blocks', headers: AUTH })).statusCode).toBe(200);
    expect((await app.inject({ url: '/stats', headers: AUTH })).statusCode).toBe(200);
  });
});

describe('API bad input', () => {
  beforeEach(() => setup());

  const cases: Array<{ name: string; method: 'GET' | 'POST' | 'DELETE'; url: string; payload?: unknown; field: string; allowed: string }> = [
    { name: 'address not an IP', method: 'POST', url: '/blocks', payload: { address: 'example.com', duration: '10m', reason: 'x' }, field: "body field 'address'", allowed: 'dotted-quad' },
    { name: 'IPv4 shorthand', method: 'POST', url: '/blocks', payload: { address: '10.1', duration: '10m', reason: 'x' }, field: "body field 'address'", allowed: 'dotted-quad' },
    { name: 'octet out of range', method: 'POST', url: '/blocks', payload: { address: '192.0.2.256', duration: '10m', reason: 'x' }, field: "body field 'address'", allowed: 'dotted-quad' },
    { name: 'IPv6 with zone', method: 'POST', url: '/blocks', payload: { address: 'fe80::1%eth0', duration: '10m', reason: 'x' }, field: "body field 'address'", allowed: 'IPv6' },
    { name: 'CIDR host bits set', method: 'POST', url: '/blocks', payload: { address: '192.0.2.7/24', duration: '10m', reason: 'x' }, field: "body field 'address'", allowed: '192.0.2.0/24' },
    { name: 'CIDR too broad', method: 'POST', url: '/blocks', payload: { address: '10.0.0.0/7', duration: '10m', reason: 'x' }, field: "body field 'address'", allowed: 'at least /8' },
    { name: 'CIDR length not a number', method: 'POST', url: '/blocks', payload: { address: '192.0.2.0/x', duration: '10m', reason: 'x' }, field: "body field 'address'", allowed: 'CIDR' },
    { name: 'IPv6 CIDR too long', method: 'POST', url: '/blocks', payload: { address: '2001:db8::/129', duration: '10m', reason: 'x' }, field: "body field 'address'", allowed: 'CIDR' },
    { name: 'duration without unit', method: 'POST', url: '/blocks', payload: { address: '192.0.2.7', duration: '600', reason: 'x' }, field: "body field 'duration'", allowed: 'units ms, s, m, h or d' },
    { name: 'duration too long', method: 'POST', url: '/blocks', payload: { address: '192.0.2.7', duration: '8d', reason: 'x' }, field: "body field 'duration'", allowed: 'from 1s to 7d' },
    { name: 'duration too short', method: 'POST', url: '/blocks', payload: { address: '192.0.2.7', duration: '500ms', reason: 'x' }, field: "body field 'duration'", allowed: 'from 1s to 7d' },
    { name: 'duration not a string', method: 'POST', url: '/blocks', payload: { address: '192.0.2.7', duration: 600, reason: 'x' }, field: "body field 'duration'", allowed: '90s, 10m' },
    { name: 'unknown body field', method: 'POST', url: '/blocks', payload: { address: '192.0.2.7', duration: '10m', reason: 'x', ttl: 5 }, field: "body field 'ttl'", allowed: 'address, duration, reason' },
    { name: 'missing reason', method: 'POST', url: '/blocks', payload: { address: '192.0.2.7', duration: '10m' }, field: "body field 'reason'", allowed: '1 to 200 characters' },
    { name: 'empty reason', method: 'POST', url: '/blocks', payload: { address: '192.0.2.7', duration: '10m', reason: '' }, field: "body field 'reason'", allowed: '1 to 200 characters' },
    { name: 'body not an object', method: 'POST', url: '/blocks', payload: ['192.0.2.7'], field: 'body', allowed: 'JSON object' },
    { name: 'path address invalid', method: 'DELETE', url: '/blocks/not-an-address', field: "path parameter 'address'", allowed: 'dotted-quad' },
    { name: 'grace invalid', method: 'DELETE', url: '/blocks/192.0.2.7?grace=soon', field: "query parameter 'grace'", allowed: 'from 0s to 1d' },
    { name: 'grace too long', method: 'DELETE', url: '/blocks/192.0.2.7?grace=2d', field: "query parameter 'grace'", allowed: 'from 0s to 1d' },
    { name: 'unknown delete query', method: 'DELETE', url: '/blocks/192.0.2.7?force=1', field: "query parameter 'force'", allowed: 'grace' },
    { name: 'limit not a number', method: 'GET', url: '/blocks?limit=ten', field: "query parameter 'limit'", allowed: 'from 1 to 1000' },
    { name: 'limit too large', method: 'GET', url: '/blocks?limit=5000', field: "query parameter 'limit'", allowed: 'from 1 to 1000' },
    { name: 'offset negative', method: 'GET', url: '/blocks?offset=-1', field: "query parameter 'offset'", allowed: 'from 0' },
    { name: 'family unknown', method: 'GET', url: '/blocks?family=5', field: "query parameter 'family'", allowed: '4 or 6' },
    { name: 'origin unknown', method: 'GET', url: '/blocks?origin=robot', field: "query parameter 'origin'", allowed: 'auto, manual, kernel-ratelimit' },
    { name: 'state unknown', method: 'GET', url: '/blocks?state=pending', field: "query parameter 'state'", allowed: 'active, expired' },
    { name: 'unknown blocks query', method: 'GET', url: '/blocks?sort=asc', field: "query parameter 'sort'", allowed: 'family, origin, state, offset, limit' },
    { name: 'verdict label unknown', method: 'GET', url: '/verdicts?label=evil', field: "query parameter 'label'", allowed: 'attack, benign' },
    { name: 'verdict source invalid', method: 'GET', url: '/verdicts?source=300.1.1.1', field: "query parameter 'source'", allowed: 'dotted-quad' },
    { name: 'verdict since invalid', method: 'GET', url: '/verdicts?since=yesterday', field: "query parameter 'since'", allowed: 'RFC 3339' },
    { name: 'decision action unknown', method: 'GET', url: '/decisions?action=ban', field: "query parameter 'action'", allowed: 'block, unblock, expire, skip' },
    { name: 'decision target invalid', method: 'GET', url: '/decisions?target=192.0.2.0%2F33', field: "query parameter 'target'", allowed: 'CIDR' },
    { name: 'decision since invalid', method: 'GET', url: '/decisions?since=later', field: "query parameter 'since'", allowed: 'RFC 3339' },
    { name: 'source path is a prefix', method: 'GET', url: '/sources/192.0.2.0%2F24', field: "path parameter 'address'", allowed: 'dotted-quad' },
    { name: 'stats takes no query', method: 'GET', url: '/stats?verbose=1', field: "query parameter 'verbose'", allowed: 'takes no fields' },
  ];

  for (const testCase of cases) {
    it(`answers 400 for ${testCase.name}`, async () => {
      const response = await app.inject({ method: testCase.method, url: testCase.url, headers: AUTH, payload: testCase.payload as never });
      expect(response.statusCode).toBe(400);
      const body = response.json();
      expect(body.code).toBe('FG_ERR_API_INVALID_INPUT');
      expect(body.message).toContain(testCase.field);
      expect(body.message).toContain(testCase.allowed);
    });
  }

  it('answers 400 for malformed JSON', async () => {
    const response = await app.inject({ method: 'POST', url: '/blocks', headers: { ...AUTH, 'content-type': 'application/json' }, payload: '{"address":' });
    expect(response.statusCode).toBe(400);
    expect(response.json().message).toMatch(/JSON/i);
  });

  it('answers 413 and 415 for bad bodies', async () => {
    const large = await app.inject({ method: 'POST', url: '/blocks', headers: AUTH, payload: { address: '192.0.2.7', duration: '10m', reason: 'x'.repeat(20_000) } });
    expect(large.statusCode).toBe(413);
    const xml = await app.inject({ method: 'POST', url: '/blocks', headers: { ...AUTH, 'content-type': 'application/xml' }, payload: '<block/>' });
    expect(xml.statusCode).toBe(415);
  });

  it('answers 404 for an unknown route', async () => {
    const response = await app.inject('/block');
    expect(response.statusCode).toBe(404);
    expect(response.json().code).toBe('FG_ERR_API_NOT_FOUND');
  });
});

describe('API blocks', () => {
  beforeEach(() => setup());

  it('normalises targets before storing them', async () => {
    expect((await addBlock('::ffff:192.0.2.9')).json().target).toBe('192.0.2.9');
    expect((await addBlock('2001:0db8:0000::0001')).json().target).toBe('2001:db8::1');
    expect((await addBlock('192.0.2.10/32')).json()).toMatchObject({ target: '192.0.2.10', kind: 'host' });
    expect((await addBlock('2001:db8:1::/48')).json()).toMatchObject({ target: '2001:db8:1::/48', kind: 'prefix', family: 6 });
  });

  it('rejects an allowlisted address with 409 and the reason', async () => {
    const response = await addBlock('203.0.113.5');
    expect(response.statusCode).toBe(409);
    expect(response.json()).toMatchObject({ code: 'FG_ERR_API_BLOCK_REJECTED', details: { reason: 'allowlisted' } });
    expect(response.json().message).toContain('203.0.113.0/24');
  });

  it('rejects a prefix that covers an allowlisted range', async () => {
    const response = await addBlock('203.0.0.0/16');
    expect(response.statusCode).toBe(409);
    expect(response.json().details.reason).toBe('allowlisted');
  });

  it('rejects own and loopback addresses with 409', async () => {
    for (const address of ['198.51.100.1', '127.0.0.1', '::1', '198.51.100.0/24']) {
      const response = await addBlock(address);
      expect(response.statusCode, address).toBe(409);
      expect(response.json().details.reason, address).toBe('own-address');
    }
  });

  it('reads one block and 404s an unknown one', async () => {
    await addBlock('192.0.2.0/24');
    const found = await app.inject('/blocks/192.0.2.0%2F24');
    expect(found.statusCode).toBe(200);
    expect(found.json()).toMatchObject({ target: '192.0.2.0/24', state: 'active' });
    const missing = await app.inject('/blocks/192.0.2.99');
    expect(missing.statusCode).toBe(404);
    expect(missing.json().code).toBe('FG_ERR_API_BLOCK_NOT_FOUND');
  });

  it('unblocks with a grace period the policy honours', async () => {
    await addBlock('192.0.2.7');
    const response = await app.inject({ method: 'DELETE', url: '/blocks/192.0.2.7?grace=10m', headers: AUTH });
    expect(response.statusCode).toBe(200);
    expect(response.json()).toMatchObject({ target: '192.0.2.7', state: 'expired', endReason: 'unblocked' });
    expect(services.blockAutomatically({ target: '192.0.2.7', durationMs: 60_000, reason: 'policy' })).toBeUndefined();
    const source = (await app.inject('/sources/192.0.2.7')).json();
    expect(source.graceUntilMs).toBeGreaterThan(Date.now());
    expect(source.decisions.map((decision: { action: string }) => decision.action)).toEqual(['skip', 'unblock', 'block']);
  });

  it('answers 404 when unblocking an address that is not blocked', async () => {
    const response = await app.inject({ method: 'DELETE', url: '/blocks/192.0.2.50', headers: AUTH });
    expect(response.statusCode).toBe(404);
    expect(response.json().message).toContain('192.0.2.50');
  });

  it('pages through blocks newest first', async () => {
    for (let i = 1; i <= 25; i++) await addBlock(`192.0.2.${i}`);
    const first = (await app.inject('/blocks?limit=10')).json();
    expect(first).toMatchObject({ total: 25, offset: 0, limit: 10 });
    expect(first.items.map((item: { target: string }) => item.target).slice(0, 2)).toEqual(['192.0.2.25', '192.0.2.24']);
    const last = (await app.inject('/blocks?limit=10&offset=20')).json();
    expect(last.items.map((item: { target: string }) => item.target)).toEqual(['192.0.2.5', '192.0.2.4', '192.0.2.3', '192.0.2.2', '192.0.2.1']);
    const beyond = (await app.inject('/blocks?offset=100')).json();
    expect(beyond).toMatchObject({ items: [], total: 25 });
    const seen = new Set<string>();
    for (let offset = 0; offset < 25; offset += 7) {
      for (const item of (await app.inject(`/blocks?limit=7&offset=${offset}`)).json().items) seen.add(item.target);
    }
    expect(seen.size).toBe(25);
  });

  it('filters blocks by family, origin and state', async () => {
    await addBlock('192.0.2.1');
    await addBlock('2001:db8::5');
    services.blockAutomatically({ target: '192.0.2.2', durationMs: 60_000, reason: 'policy' });
    services.blockAutomatically({ target: '192.0.2.3', durationMs: 60_000, reason: 'trap', origin: 'kernel-ratelimit' });
    await app.inject({ method: 'DELETE', url: '/blocks/192.0.2.1', headers: AUTH });

    const targets = async (query: string) => (await app.inject(`/blocks?${query}`)).json().items.map((item: { target: string }) => item.target);
    expect(await targets('family=6')).toEqual(['2001:db8::5']);
    expect(await targets('origin=auto')).toEqual(['192.0.2.2']);
    expect(await targets('origin=kernel-ratelimit')).toEqual(['192.0.2.3']);
    expect(await targets('state=expired')).toEqual(['192.0.2.1']);
    expect(await targets('state=active&family=4')).toEqual(['192.0.2.3', '192.0.2.2']);
    expect(await targets('origin=manual&state=active')).toEqual(['2001:db8::5']);
  });
});

describe('API verdicts, sources and status', () => {
  beforeEach(() => setup());

  it('filters verdicts by source, label and since, and pages them', async () => {
    const old = Date.now() - 3_600_000;
    services.recordVerdict(makeVerdict({ srcAddr: '192.0.2.1', label: 'benign', scoredAtMs: old }));
    for (let i = 0; i < 5; i++) services.recordVerdict(makeVerdict({ srcAddr: '192.0.2.66', label: 'attack', flowRecordId: 10 + i }));
    services.recordVerdict(makeVerdict({ srcAddr: '2001:db8::9', label: 'benign' }));

    const list = async (query: string) => (await app.inject(`/verdicts?${query}`)).json();
    expect((await list('')).total).toBe(7);
    expect((await list('label=attack')).total).toBe(5);
    expect((await list('source=192.0.2.66')).total).toBe(5);
    expect((await list('source=192.0.2.0%2F24')).total).toBe(6);
    expect((await list('source=2001:db8::%2F32')).total).toBe(1);
    expect((await list('since=30m')).total).toBe(6);
    expect((await list(`since=${new Date(old - 1000).toISOString()}`)).total).toBe(7);
    const page = await list('label=attack&limit=2&offset=1');
    expect(page.items.map((verdict: { flowRecordId: number }) => verdict.flowRecordId)).toEqual([13, 12]);
  });

  it('lists decisions of every source, including skipped would-blocks, and filters them', async () => {
    await addBlock('192.0.2.7');
    await app.inject({ method: 'DELETE', url: '/blocks/192.0.2.7', headers: AUTH });
    await addBlock('2001:db8::/64');
    expect(services.blockAutomatically({ target: '203.0.113.9', durationMs: 60_000, reason: '10 of 10 flows judged attack' })).toBeUndefined();

    const list = async (query: string) => (await app.inject(`/decisions?${query}`)).json();
    const all = await list('');
    expect(all.items.map((decision: { action: string; target: string }) => `${decision.action} ${decision.target}`)).toEqual([
      'skip 203.0.113.9',
      'block 2001:db8::/64',
      'unblock 192.0.2.7',
      'block 192.0.2.7',
    ]);
    expect((await list('action=skip')).items[0]).toMatchObject({ target: '203.0.113.9', origin: 'auto', actor: 'policy' });
    expect((await list('target=192.0.2.0%2F24')).total).toBe(2);
    expect((await list('target=2001:db8::1')).total).toBe(1);
    expect((await list('since=1h&limit=1&offset=1')).items[0]).toMatchObject({ action: 'block', target: '2001:db8::/64' });
  });

  it('describes a source and 404s an unknown one', async () => {
    services.recordFlow({
      flowRecordId: 7, flowId: 'f', srcAddr: '192.0.2.66', srcPort: 1, dstAddr: '198.51.100.10', dstPort: 80, protocol: 6,
      startUs: 1, endUs: 2, exportReason: 'fin', packets: 3, bytes: 100,
    });
    services.recordVerdict(makeVerdict({ srcAddr: '192.0.2.66', label: 'attack' }));
    services.blockAutomatically({ target: '192.0.2.66', durationMs: 60_000, reason: 'policy' });
    services.blockAutomatically({ target: '192.0.2.67', durationMs: 60_000, reason: 'policy' });

    const report = (await app.inject('/sources/192.0.2.66')).json();
    expect(report).toMatchObject({ address: '192.0.2.66', escalationLevel: 1, block: { target: '192.0.2.66', state: 'active' } });
    expect(report.flows).toHaveLength(1);
    expect(report.verdicts).toHaveLength(1);
    expect(report.decisions[0]).toMatchObject({ action: 'block', actor: 'policy', escalationLevel: 0 });

    const unknown = await app.inject('/sources/192.0.2.200');
    expect(unknown.statusCode).toBe(404);
    expect(unknown.json().code).toBe('FG_ERR_API_SOURCE_NOT_FOUND');
  });

  it('reports a source inside a blocked prefix', async () => {
    await addBlock('192.0.2.0/24');
    const report = (await app.inject('/sources/192.0.2.77')).json();
    expect(report.block.target).toBe('192.0.2.0/24');
  });

  it('returns stats with every figure', async () => {
    services.recordPackets(10, 1500);
    services.recordVerdict(makeVerdict({ srcAddr: '192.0.2.1', label: 'attack' }));
    services.recordDrops('drop4', 5, 300);
    services.recordCaptureDrops(2);
    services.setQueueDepth('verdicts', 3);
    services.recordEvictions('flows', 4);
    await addBlock('192.0.2.9');
    const stats = (await app.inject('/stats')).json();
    expect(stats).toMatchObject({
      packets: 10,
      bytes: 1500,
      verdicts: { attack: 1, benign: 0 },
      activeBlocks: 1,
      dropsBySet: { drop4: { packets: 5, bytes: 300 } },
      captureDrops: 2,
      queueDepths: { verdicts: 3 },
      evictions: { flows: 4 },
    });
  });

  it('reports degraded health with 503 and the reasons', async () => {
    services.setHealthProblem('capture', 'capture on eth0 stopped: interface went down');
    const response = await app.inject('/health');
    expect(response.statusCode).toBe(503);
    expect(response.json()).toEqual({ status: 'degraded', reasons: ['capture on eth0 stopped: interface went down'] });
  });

  it('serves Prometheus metrics with the gateway counters', async () => {
    services.recordPackets(10, 1500);
    services.recordVerdict(makeVerdict({ srcAddr: '192.0.2.1', label: 'attack' }));
    services.recordDrops('drop4', 5, 300);
    await addBlock('192.0.2.9');
    const response = await app.inject('/metrics');
    expect(response.headers['content-type']).toContain('text/plain');
    expect(response.body).toContain('flowguard_packets_total 10');
    expect(response.body).toContain('flowguard_verdicts_total{label="attack"} 1');
    expect(response.body).toContain('flowguard_active_blocks 1');
    expect(response.body).toContain('flowguard_dropped_packets_total{set="drop4"} 5');
    expect(response.body).toMatch(/flowguard_api_request_duration_seconds_count\{method="POST",route="\/blocks",status_code="201"\} 1/);
  });

  it('publishes an OpenAPI document with every route and schema', async () => {
    const document = (await app.inject('/openapi.json')).json();
    expect(Object.keys(document.paths).sort()).toEqual(['/blocks', '/blocks/{address}', '/decisions', '/events', '/health', '/metrics', '/policy', '/policy/guards/reset', '/sources/{address}', '/stats', '/verdicts']);
    expect(document.paths['/blocks'].post.security).toEqual([{ bearerAuth: [] }]);
    expect(document.paths['/blocks'].post.requestBody.content['application/json'].schema.additionalProperties).toBe(false);
    expect(document.paths['/blocks'].get.responses['200']).toBeDefined();
    expect(document.components.securitySchemes.bearerAuth.scheme).toBe('bearer');
  });

  it('keeps the error catalogue and docs/api.md in step', async () => {
    const doc = await readFile(join(REPO_ROOT, 'docs', 'api.md'), 'utf8');
    for (const [key, entry] of Object.entries(API_ERRORS)) {
      expect(entry.code).toBe(key);
      expect(entry.code).toMatch(/^FG_ERR_API_[A-Z_]+$/);
      expect(doc, entry.code).toContain(`| \`${entry.code}\` | ${entry.statusCode} |`);
    }
  });
});
