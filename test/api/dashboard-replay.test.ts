import { existsSync } from 'node:fs';
import { mkdir, mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Page } from 'playwright-core';
import { resolveConfig } from '../../src/gateway/config.ts';
import { Gateway } from '../../src/gateway/gateway.ts';
import { ReplaySource } from '../../src/gateway/replay-source.ts';
import { silentLogger } from '../../src/log.ts';
import { REPO_ROOT } from '../helpers/shared-data.ts';
import { CHROMIUM, countRedPixels, DashboardBrowser, type CanvasLike } from './browser.ts';
import { TOKEN, waitFor } from './helpers.ts';

const MODEL = join(REPO_ROOT, 'models', 'flowguard-default.onnx');
const SAMPLE = join(REPO_ROOT, 'demo', 'sample.pcap');
const ARTIFACTS = join(REPO_ROOT, 'test-artifacts');
/** The HTTP flood source of the bundled lab capture. Its attack starts about 5 s into the file. */
const ATTACKER = '10.231.1.101';
/** The capture lasts 12.6 s, so this leaves room for a loaded machine. */
const PASS_TIMEOUT_MS = 60_000;

const missing = [CHROMIUM, MODEL, SAMPLE].filter((path) => !existsSync(path));
if (missing.length > 0) process.stderr.write(`dashboard replay test: skipped because ${missing.join(' and ')} is missing\n`);

describe.skipIf(missing.length > 0)('dashboard of a gateway replaying the lab capture', () => {
  let gateway: Gateway;
  let replay: ReplaySource;
  let stateDirectory: string;
  let browser: DashboardBrowser;
  let page: Page;
  let pageErrors: string[];
  let passEnded: Promise<void>;

  beforeAll(async () => {
    // The browser starts first: the replay runs at the capture's pace from the gateway's start,
    // and the page should see it from the beginning.
    browser = await DashboardBrowser.launch();
    ({ page, pageErrors } = browser);

    stateDirectory = await mkdtemp(join(tmpdir(), 'fg-dashboard-replay-'));
    const config = resolveConfig({ stateDirectory, api: { port: 0, token: TOKEN }, enforcement: { monitor: false }, scorer: { modelPath: MODEL } });
    let ended!: () => void;
    passEnded = new Promise((resolve) => (ended = resolve));
    gateway = new Gateway({
      config,
      logger: silentLogger(),
      memoryBackend: true,
      source: { kind: 'replay', file: SAMPLE, pace: 'recorded', loop: false, onPassEnd: () => ended() },
    });
    replay = gateway.sources[0] as ReplaySource;
    await gateway.start();
  }, 60_000);

  afterAll(async () => {
    await browser?.close();
    await gateway?.stop();
    if (stateDirectory) await rm(stateDirectory, { recursive: true, force: true });
  });

  it('shows the attack, its block and the unblock', async () => {
    const apiUrl = gateway.apiUrl!;
    await page.goto(apiUrl);
    await page.fill('#token', TOKEN);
    await page.click('#token-form button[type=submit]');
    await page.waitForSelector('#connection.ok', { timeout: 10_000 });

    // Charts grow by one traffic sample per second while the capture plays.
    const samplesOf = (id: string) => page.$eval(id, (canvas) => Number((canvas as unknown as CanvasLike).dataset.samples));
    await waitFor('three traffic samples drawn', async () => (await samplesOf('#verdict-chart')) >= 3, 15_000);
    const earlier = await samplesOf('#traffic-chart');
    await waitFor('traffic chart to grow', async () => (await samplesOf('#traffic-chart')) > earlier, 10_000);
    expect(replay.passes).toBe(0);
    const packetsShown = await waitFor('packet total on a tile', async () => {
      const text = await page.textContent('#stat-packets');
      return text !== '–' && text !== '0' ? text : undefined;
    });

    // The policy blocks the attacker while the capture still plays, and the list shows it.
    await page.waitForSelector(`#blocks tr[data-target="${ATTACKER}"]`, { timeout: PASS_TIMEOUT_MS });
    expect(replay.passes).toBe(0);
    expect(await page.textContent(`#blocks tr[data-target="${ATTACKER}"] td:nth-child(2)`)).toBe('auto');
    expect(await page.textContent(`#blocks tr[data-target="${ATTACKER}"] td.remaining`)).toMatch(/^(\d+h \d\dm|\d+m \d\ds|\d+s)$/);
    await waitFor('the block in the decision log', async () => (await page.textContent('#decisions'))?.includes(`block ${ATTACKER}`));
    await waitFor('packet total to grow', async () => (await page.textContent('#stat-packets')) !== packetsShown, 10_000);
    await waitFor('attack bars in the verdict chart', async () => (await page.$eval('#verdict-chart', countRedPixels)) > 50, 10_000);
    expect(await page.$$eval('#verdicts tbody tr.attack', (rows) => rows.length)).toBeGreaterThan(0);

    // Unblock with the button and the default grace period of 10 minutes.
    await page.click(`#blocks tr[data-target="${ATTACKER}"] button.unblock`);
    await page.waitForSelector(`#blocks tr[data-target="${ATTACKER}"]`, { state: 'detached', timeout: 10_000 });
    expect(await page.textContent('#action-message')).toBe(`Unblocked ${ATTACKER}; the policy will not block it again for 10m.`);
    await waitFor('the unblock in the decision log', async () => (await page.textContent('#decisions'))?.includes(`unblock ${ATTACKER}`));

    const single = await fetch(`${apiUrl}/blocks/${ATTACKER}`);
    expect(single.status).toBe(200);
    expect(await single.json()).toMatchObject({ target: ATTACKER, state: 'expired', endReason: 'unblocked' });
    const active = (await (await fetch(`${apiUrl}/blocks?state=active`)).json()) as { items: Array<{ target: string }> };
    expect(active.items.map((item) => item.target)).not.toContain(ATTACKER);
    expect(gateway.enforcer.get(ATTACKER)).toBeUndefined();

    // The attack goes on to the end of the capture, and the policy stays quiet about the
    // attacker until the grace period ends.
    await passEnded;
    await gateway.detection.scorer.drain();
    await gateway.enforcer.flush(10_000);
    expect(gateway.enforcer.get(ATTACKER)).toBeUndefined();
    expect(gateway.detection.policy.describeSource(ATTACKER, Date.now())!.quietUntilMs).toBeGreaterThan(Date.now() + 9 * 60_000);
    const blockLines = ((await page.textContent('#decisions')) ?? '').split(` block ${ATTACKER} for `).length - 1;
    expect(blockLines).toBe(1);
    expect(await page.$(`#blocks tr[data-target="${ATTACKER}"]`)).toBeNull();

    await mkdir(ARTIFACTS, { recursive: true });
    const screenshot = join(ARTIFACTS, 'dashboard-replay.png');
    await page.screenshot({ path: screenshot, fullPage: true });
    expect(existsSync(screenshot)).toBe(true);
    expect(pageErrors).toEqual([]);
  }, PASS_TIMEOUT_MS + 30_000);
});
