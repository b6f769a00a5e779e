/** Headless Chromium and canvas probes shared by the dashboard tests. */
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { chromium, type BrowserContext, type Page } from 'playwright-core';

export const CHROMIUM = '/usr/bin/chromium';

/**
 * No sandbox, because tests may run as root. Background networking, component updates and sync
 * are off, so the browser itself does not contact outside hosts.
 */
export const CHROMIUM_ARGS = [
  '--headless',
  '--no-sandbox',
  '--disable-gpu',
  '--disable-quic',
  '--no-first-run',
  '--disable-background-networking',
  '--disable-component-update',
  '--disable-sync',
];

/** Headless Chromium with a throw-away profile and one page whose errors are collected. */
export class DashboardBrowser {
  /** Uncaught page errors and console errors, which include Content-Security-Policy violations. */
  readonly pageErrors: string[] = [];

  private constructor(
    readonly context: BrowserContext,
    readonly page: Page,
    readonly userDataDir: string,
  ) {
    page.on('pageerror', (err) => this.pageErrors.push(err.message));
    page.on('console', (message) => {
      if (message.type() === 'error') this.pageErrors.push(message.text());
    });
  }

  static async launch(): Promise<DashboardBrowser> {
    const userDataDir = await mkdtemp(join(tmpdir(), 'flowguard-chromium-'));
    try {
      const context = await chromium.launchPersistentContext(userDataDir, {
        executablePath: CHROMIUM,
        headless: true,
        viewport: { width: 1400, height: 1000 },
        args: CHROMIUM_ARGS,
      });
      const page = context.pages()[0] ?? (await context.newPage());
      return new DashboardBrowser(context, page, userDataDir);
    } catch (err) {
      await rm(userDataDir, { recursive: true, force: true });
      throw err;
    }
  }

  async close(): Promise<void> {
    await this.context.close();
    await rm(this.userDataDir, { recursive: true, force: true });
  }
}

/** The parts of a DOM canvas the tests read (the repository compiles without the DOM library). */
export interface CanvasLike {
  width: number;
  height: number;
  dataset: Record<string, string | undefined>;
  getContext(kind: '2d'): { getImageData(x: number, y: number, width: number, height: number): { data: Uint8ClampedArray } } | null;
}

/**
 * Counts the attack-red pixels of a canvas. Runs inside the page (passed to `$eval`), so it must
 * not use anything from this module.
 */
export function countRedPixels(element: unknown): number {
  const canvas = element as CanvasLike;
  const data = canvas.getContext('2d')!.getImageData(0, 0, canvas.width, canvas.height).data;
  let count = 0;
  for (let i = 0; i < data.length; i += 4) if (data[i] > 180 && data[i + 1] < 100 && data[i + 2] < 100) count++;
  return count;
}
