import { existsSync } from 'node:fs';
import { mkdir } from 'node:fs/promises';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { BrowserContext, Page } from 'playwright-core';
import { MemoryGatewayServices } from '../../src/api/memory-services.ts';
import { ApiServer } from '../../src/api/server.ts';
import { SyntheticFeed } from '../../src/api/synthetic-feed.ts';
import { REPO_ROOT } from '../helpers/shared-data.ts';
import { CHROMIUM, countRedPixels, DashboardBrowser, type CanvasLike } from './browser.ts';
import { TOKEN, waitFor } from './helpers.ts';

const ARTIFACTS = join(REPO_ROOT, 'test-artifacts');
const FEED_INTERVAL_MS = 100;
const FLOWS_PER_TICK = 30;
/** Upper bound of the feed, whatever happens to the test. */
const FEED_MAX_TICKS = 600;

if (!existsSync(CHROMIUM)) process.stderr.write(`synthetic-feed dashboard test: skipped because ${CHROMIUM} is missing (Debian package chromium)\n`);

describe.skipIf(!existsSync(CHROMIUM))('dashboard on a synthetic feed', () => {
  let services: MemoryGatewayServices;
  let server: ApiServer;
  let feed: SyntheticFeed;
  let feedTimer: NodeJS.Timeout | undefined;
  let browser: DashboardBrowser;
  let context: BrowserContext;
  let page: Page;
  let pageErrors: string[];

  beforeAll(async () => {
    services = new MemoryGatewayServices({ trafficIntervalMs: 500, ownAddresses: ['198.51.100.10'] });
    await services.start();
    server = new ApiServer({ services, options: { port: 0, token: TOKEN } });
    await server.start();
    feed = new SyntheticFeed(services, {
      attackers: ['192.0.2.66', '192.0.2.67', '2001:db8::66'],
      benignSources: ['198.51.100.20', '198.51.100.21', '198.51.100.22', '2001:db8::20'],
      victim: '198.51.100.10',
      attackShare: 0.4,
    });

    browser = await DashboardBrowser.launch();
    ({ context, page, pageErrors } = browser);
  });

  afterAll(async () => {
    clearInterval(feedTimer);
    await browser?.close();
    await server?.close();
    await services?.close();
  });

  it('shows live charts and blocks, and unblocks with the button', async () => {
    await page.goto(server.url);
    await page.fill('#token', TOKEN);
    await page.click('#token-form button[type=submit]');
    await page.waitForSelector('#connection.ok', { timeout: 10_000 });

    let ticks = 0;
    feedTimer = setInterval(() => {
      ticks++;
      feed.emitFlows(FLOWS_PER_TICK);
      if (ticks % 10 === 0) feed.blockAttackers(30 * 60_000);
      if (ticks >= FEED_MAX_TICKS) clearInterval(feedTimer);
    }, FEED_INTERVAL_MS);

    // Charts: samples arrive once per traffic interval and are drawn.
    const samplesOf = (id: string) => page.$eval(id, (canvas) => Number((canvas as unknown as CanvasLike).dataset.samples));
    await waitFor('three traffic samples drawn', async () => (await samplesOf('#verdict-chart')) >= 3, 15_000);
    const earlier = await samplesOf('#traffic-chart');
    await waitFor('traffic chart to grow', async () => (await samplesOf('#traffic-chart')) > earlier, 10_000);

    // The verdict chart has attack-coloured bars: count red pixels in the canvas.
    const redPixels = await page.$eval('#verdict-chart', countRedPixels);
    expect(redPixels).toBeGreaterThan(50);

    // The block list fills as the feed blocks the attackers.
    await page.waitForSelector('#blocks tr[data-target="192.0.2.66"]', { timeout: 10_000 });
    await page.waitForSelector('#blocks tr[data-target="2001:db8::66"]', { timeout: 10_000 });
    const remaining = await page.textContent('#blocks tr[data-target="192.0.2.66"] td.remaining');
    expect(remaining).toMatch(/^(29|30)m \d\ds$/);
    expect(await page.$$eval('#verdicts tbody tr', (rows) => rows.length)).toBeGreaterThan(10);
    await waitFor('stats tiles', async () => (await page.textContent('#stat-flows')) !== '–');

    // Unblock one attacker by hand with the default grace of 10m. The row goes away and stays
    // away, because the feed's later policy passes are skipped during the grace period.
    await page.click('#blocks tr[data-target="192.0.2.66"] button.unblock');
    await page.waitForSelector('#blocks tr[data-target="192.0.2.66"]', { state: 'detached', timeout: 10_000 });
    expect(await page.textContent('#action-message')).toBe('Unblocked 192.0.2.66; the policy will not block it again for 10m.');
    expect(await services.blocks.get('192.0.2.66')).toMatchObject({ state: 'expired', endReason: 'unblocked' });
    await waitFor('unblock in the decision log', async () => (await page.textContent('#decisions'))?.includes('unblock 192.0.2.66'));
    await waitFor('a skipped re-block in the decision log', async () => (await page.textContent('#decisions'))?.includes('skip 192.0.2.66'), 10_000);
    expect(await page.$('#blocks tr[data-target="192.0.2.66"]')).toBeNull();
    expect(await page.isVisible('#blocks tr[data-target="192.0.2.67"]')).toBe(true);

    // A page opened later shows the decisions made before it, from GET /decisions.
    const later = await context.newPage();
    await later.goto(server.url);
    await waitFor('earlier decisions on a new page', async () => {
      const text = (await later.textContent('#decisions')) ?? '';
      return text.includes('unblock 192.0.2.66') && text.includes('block 2001:db8::66');
    });
    await later.close();

    await waitFor('one more traffic sample', async () => (await samplesOf('#traffic-chart')) >= 6, 10_000);
    await mkdir(ARTIFACTS, { recursive: true });
    await page.screenshot({ path: join(ARTIFACTS, 'dashboard.png'), fullPage: true });
    expect(existsSync(join(ARTIFACTS, 'dashboard.png'))).toBe(true);
    expect(pageErrors).toEqual([]);
  });

  it('reads with the token when reads need it', async () => {
    const locked = new ApiServer({ services, options: { port: 0, token: TOKEN, readsNeedToken: true } });
    await locked.start();
    const second = await context.newPage();
    try {
      await second.addInitScript(() => (globalThis as unknown as { sessionStorage: { clear(): void } }).sessionStorage.clear());
      await second.goto(locked.url);
      await second.waitForSelector('#connection.degraded', { timeout: 10_000 });
      expect(await second.textContent('#connection')).toBe('live stream: token needed');
      expect(await second.$$('#blocks tbody tr')).toHaveLength(0);

      await second.fill('#token', TOKEN);
      await second.click('#token-form button[type=submit]');
      await second.waitForSelector('#connection.ok', { timeout: 10_000 });
      await second.waitForSelector('#blocks tr[data-target="192.0.2.67"]', { timeout: 10_000 });
    } finally {
      await second.close();
      await locked.close();
    }
  });

  it('asks for the token before unblocking', async () => {
    const second = await context.newPage();
    try {
      await second.addInitScript(() => (globalThis as unknown as { sessionStorage: { clear(): void } }).sessionStorage.clear());
      await second.goto(server.url);
      await second.waitForSelector('#blocks tr[data-target="192.0.2.67"]', { timeout: 10_000 });
      await second.click('#blocks tr[data-target="192.0.2.67"] button.unblock');
      await second.waitForSelector('#action-message.error');
      expect(await second.textContent('#action-message')).toContain('Enter the API token');
      expect((await services.blocks.get('192.0.2.67'))?.state).toBe('active');
    } finally {
      await second.close();
    }
  });
});
