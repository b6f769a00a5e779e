import { existsSync } from 'node:fs';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { resolveConfig } from '../../src/gateway/config.ts';
import { Gateway } from '../../src/gateway/gateway.ts';
import { silentLogger } from '../../src/log.ts';
import { readHistoryFile, writeHistoryFile } from '../../src/infer/history-file.ts';
import { REPO_ROOT } from '../helpers/shared-data.ts';

const MODEL = join(REPO_ROOT, 'models', 'flowguard-default.onnx');
const SAMPLE = join(REPO_ROOT, 'demo', 'sample.pcap');
const TOKEN = 'replay-gateway-test-token-0123456789';

interface LabelSpan {
  source: string;
  label: string;
}

interface ReplayGateway {
  gateway: Gateway;
  stateDirectory: string;
  /** Settles when the capture has been replayed once. */
  passEnded: Promise<void>;
}

/** Starts a gateway with the memory backend that replays the bundled capture once at full speed. */
async function startReplayGateway(settings: Record<string, unknown> = {}): Promise<ReplayGateway> {
  const stateDirectory = await mkdtemp(join(tmpdir(), 'fg-gateway-'));
  const config = resolveConfig({ ...settings, stateDirectory, api: { port: 0, token: TOKEN }, enforcement: { monitor: false }, scorer: { modelPath: MODEL } });
  let ended!: () => void;
  const passEnded = new Promise<void>((resolve) => (ended = resolve));
  const gateway = new Gateway({
    config,
    logger: silentLogger(),
    memoryBackend: true,
    source: { kind: 'replay', file: SAMPLE, pace: 'full', loop: false, onPassEnd: () => ended() },
  });
  await gateway.start();
  return { gateway, stateDirectory, passEnded };
}

describe.skipIf(!existsSync(MODEL) || !existsSync(SAMPLE))('gateway on the bundled lab capture', () => {
  let gateway: Gateway;
  let stateDirectory: string;
  let passEnded: Promise<void>;

  beforeAll(async () => {
    ({ gateway, stateDirectory, passEnded } = await startReplayGateway());
  });

  afterAll(async () => {
    await gateway?.stop();
    await rm(stateDirectory, { recursive: true, force: true });
  });

  it('blocks the attacker and no benign client', async () => {
    await passEnded;
    await gateway.detection.scorer.drain();
    await gateway.enforcer.flush(10_000);
    const labels = JSON.parse(await readFile(join(REPO_ROOT, 'demo', 'sample.labels.json'), 'utf8')) as { spans: LabelSpan[] };
    const attackers = labels.spans.filter((span) => span.label !== 'BENIGN').map((span) => span.source);
    const benign = new Set(labels.spans.filter((span) => span.label === 'BENIGN').map((span) => span.source));

    const response = await fetch(`${gateway.apiUrl}/blocks?state=active`);
    expect(response.status).toBe(200);
    const page = (await response.json()) as { items: Array<{ target: string; origin: string; evidence?: { attackRatio: number } }> };
    const targets = page.items.map((item) => item.target);
    expect(targets).toEqual(expect.arrayContaining(attackers));
    for (const target of targets) expect(benign.has(target)).toBe(false);
    const block = page.items.find((item) => item.target === attackers[0]);
    expect(block?.origin).toBe('auto');
    expect(block?.evidence?.attackRatio).toBeGreaterThanOrEqual(0.8);

    const stats = (await (await fetch(`${gateway.apiUrl}/stats`)).json()) as { activeBlocks: number };
    expect(stats.activeBlocks).toBe(targets.length);
    const metrics = await (await fetch(`${gateway.apiUrl}/metrics`)).text();
    expect(metrics).toContain(`flowguard_active_blocks ${targets.length}`);
  });

  it('unblocks by hand through the API', async () => {
    const attacker = (await gateway.services.blocks.list({ offset: 0, limit: 10, state: 'active' })).items[0].target;
    const denied = await fetch(`${gateway.apiUrl}/blocks/${attacker}`, { method: 'DELETE' });
    expect(denied.status).toBe(401);
    const response = await fetch(`${gateway.apiUrl}/blocks/${attacker}`, { method: 'DELETE', headers: { authorization: `Bearer ${TOKEN}` } });
    expect(response.status).toBe(200);
    expect(gateway.enforcer.get(attacker)).toBeUndefined();
    const again = await fetch(`${gateway.apiUrl}/blocks/${attacker}`, { method: 'DELETE', headers: { authorization: `Bearer ${TOKEN}` } });
    expect(again.status).toBe(404);
  });

  it('rejects a block of an own address with the API code and reason', async () => {
    const headers = { authorization: `Bearer ${TOKEN}`, 'content-type': 'application/json' };
    const response = await fetch(`${gateway.apiUrl}/blocks`, { method: 'POST', headers, body: JSON.stringify({ address: '127.0.0.0/24', duration: '10m', reason: 'own' }) });
    expect(response.status).toBe(409);
    const body = (await response.json()) as { code: string; message: string; details: { reason: string } };
    expect(body.code).toBe('FG_ERR_API_BLOCK_REJECTED');
    expect(body.details.reason).toBe('own-address');
    expect(body.message).toContain("gateway's own or loopback address");
  });

  it('holds the policy back for exactly the grace period of an unblock', async () => {
    const attacker = '10.231.1.101';
    const headers = { authorization: `Bearer ${TOKEN}`, 'content-type': 'application/json' };
    const added = await fetch(`${gateway.apiUrl}/blocks`, { method: 'POST', headers, body: JSON.stringify({ address: attacker, duration: '10m', reason: 'grace test' }) });
    expect(added.status).toBe(201);
    const before = Date.now();
    const response = await fetch(`${gateway.apiUrl}/blocks/${attacker}?grace=1m`, { method: 'DELETE', headers: { authorization: `Bearer ${TOKEN}` } });
    expect(response.status).toBe(200);
    const quietUntilMs = gateway.detection.policy.describeSource(attacker, Date.now())!.quietUntilMs;
    expect(quietUntilMs).toBeGreaterThanOrEqual(before + 60_000);
    expect(quietUntilMs).toBeLessThanOrEqual(Date.now() + 60_000);
  });

  it('reports the policy mode and resets guards', async () => {
    const status = await fetch(`${gateway.apiUrl}/policy`);
    expect(status.status).toBe(200);
    expect(await status.json()).toEqual({ dryRun: false, configuredDryRun: false });
    const denied = await fetch(`${gateway.apiUrl}/policy/guards/reset`, { method: 'POST' });
    expect(denied.status).toBe(401);
    const reset = await fetch(`${gateway.apiUrl}/policy/guards/reset`, { method: 'POST', headers: { authorization: `Bearer ${TOKEN}` } });
    expect(reset.status).toBe(200);
    expect(await reset.json()).toEqual({ dryRun: false, configuredDryRun: false });
  });

  it('reports stats and health of the whole pipeline', async () => {
    const stats = (await (await fetch(`${gateway.apiUrl}/stats`)).json()) as { packets: number; flows: number; verdicts: { attack: number; benign: number } };
    expect(stats.packets).toBeGreaterThan(20_000);
    expect(stats.flows).toBeGreaterThan(500);
    expect(stats.verdicts.attack).toBeGreaterThan(500);
    expect(stats.verdicts.benign).toBeGreaterThan(20);
    const health = (await (await fetch(`${gateway.apiUrl}/health`)).json()) as { status: string; reasons: string[] };
    expect(health.reasons).toEqual([]);
    expect(health.status).toBe('ok');
  });
});

describe.skipIf(!existsSync(MODEL) || !existsSync(SAMPLE))('gateway on the bundled lab capture in dry-run', () => {
  let gateway: Gateway;
  let stateDirectory: string;
  let passEnded: Promise<void>;

  beforeAll(async () => {
    ({ gateway, stateDirectory, passEnded } = await startReplayGateway({ dryRun: true }));
  });

  afterAll(async () => {
    await gateway?.stop();
    await rm(stateDirectory, { recursive: true, force: true });
  });

  it('lists what it would have blocked under GET /decisions and blocks nothing', async () => {
    await passEnded;
    await gateway.detection.scorer.drain();
    const labels = JSON.parse(await readFile(join(REPO_ROOT, 'demo', 'sample.labels.json'), 'utf8')) as { spans: LabelSpan[] };
    const attackers = labels.spans.filter((span) => span.label !== 'BENIGN').map((span) => span.source);

    const blocks = (await (await fetch(`${gateway.apiUrl}/blocks?state=active`)).json()) as { total: number };
    expect(blocks.total).toBe(0);
    const response = await fetch(`${gateway.apiUrl}/decisions?action=skip`);
    expect(response.status).toBe(200);
    const page = (await response.json()) as { items: Array<{ target: string; reason: string; evidence?: { attackRatio: number } }> };
    expect(page.items.map((item) => item.target)).toEqual(expect.arrayContaining(attackers));
    const decision = page.items.find((item) => item.target === attackers[0])!;
    expect(decision.reason).toMatch(/^would block \(dry-run\)/);
    expect(decision.evidence?.attackRatio).toBeGreaterThan(0);
  });
});

describe.skipIf(!existsSync(MODEL) || !existsSync(SAMPLE))('gateway source histories across a restart', () => {
  let first: ReplayGateway;
  let emptyCapture: string;

  beforeAll(async () => {
    first = await startReplayGateway();
    await first.passEnded;
    await first.gateway.detection.scorer.drain();
    await first.gateway.stop();
    // A capture with no packet, so the restarted gateway's sources come only from the saved file.
    emptyCapture = join(first.stateDirectory, 'empty.pcap');
    const header = Buffer.alloc(24);
    header.writeUInt32LE(0xa1b2c3d4, 0);
    header.writeUInt16LE(2, 4);
    header.writeUInt16LE(4, 6);
    header.writeUInt32LE(65_535, 16);
    header.writeUInt32LE(1, 20);
    await writeFile(emptyCapture, header);
  });

  afterAll(async () => {
    await rm(first.stateDirectory, { recursive: true, force: true });
  });

  async function restart(): Promise<Gateway> {
    const config = resolveConfig({ stateDirectory: first.stateDirectory, api: { port: 0, token: TOKEN }, enforcement: { monitor: false }, scorer: { modelPath: MODEL } });
    const gateway = new Gateway({ config, logger: silentLogger(), memoryBackend: true, source: { kind: 'replay', file: emptyCapture, pace: 'full', loop: false } });
    await gateway.start();
    return gateway;
  }

  it('saves the histories at stop and restores them at the next start', async () => {
    const file = join(first.stateDirectory, 'source-histories.bin');
    const saved = await readHistoryFile(file);
    expect(saved.snapshot.groups.length).toBeGreaterThan(5);
    const gateway = await restart();
    try {
      expect(gateway.detection.scorer.stats().sources).toBe(saved.snapshot.groups.length);
      expect(existsSync(file)).toBe(false);
    } finally {
      await gateway.stop();
    }
  });

  it('starts empty when the saved histories are too old', async () => {
    const file = join(first.stateDirectory, 'source-histories.bin');
    const saved = await readHistoryFile(file);
    await writeHistoryFile(file, saved.snapshot, Date.now() - 3_600_000);
    const gateway = await restart();
    try {
      expect(gateway.detection.scorer.stats().sources).toBe(0);
      expect(existsSync(file)).toBe(false);
    } finally {
      await gateway.stop();
    }
  });
});
