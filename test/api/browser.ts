/** Headless Chromium settings and canvas probes shared by the dashboard tests. */

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
