import { mkdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { SeededRandom } from './random.ts';

/** Contents of the generated site, so clients know which paths exist. */
export interface SiteManifest {
  /** HTML pages, each with the asset paths it references. */
  pages: { path: string; assets: string[] }[];
  /** Large static files for downloads. */
  downloads: { path: string; sizeBytes: number }[];
  /** Static JSON documents under /api/items/. */
  apiItems: string[];
  /** JSON that nginx itself returns on every request. */
  apiStatus: string;
  /** POST endpoint (nginx reads the whole body before it replies). */
  apiEcho: string;
}

const PAGE_COUNT = 8;
const IMAGE_COUNT = 12;
const API_ITEM_COUNT = 40;
const DOWNLOAD_SIZES_BYTES = [2, 4, 8].map((mb) => mb * 1024 * 1024);

function randomBytes(random: SeededRandom, size: number): Buffer {
  const buffer = Buffer.allocUnsafe(size);
  for (let i = 0; i < size; i += 4) {
    const value = Math.floor(random.next() * 4294967296);
    for (let j = 0; j < 4 && i + j < size; j++) buffer[i + j] = (value >>> (8 * j)) & 0xff;
  }
  return buffer;
}

/** Writes a small static site (pages with assets, files of a few MB, JSON) into `root`. */
export async function generateSite(root: string, seed: number): Promise<SiteManifest> {
  const random = new SeededRandom(seed);
  for (const dir of ['pages', 'assets', 'files', 'api/items']) await mkdir(join(root, dir), { recursive: true });

  const css = `body{font-family:sans-serif;margin:2em}\n${Array.from({ length: 300 }, (_, i) => `.c${i}{padding:${i % 17}px}`).join('\n')}\n`;
  const js = `// generated\n${Array.from({ length: 400 }, (_, i) => `function f${i}(x){return x*${i}+${random.int(1, 999)};}`).join('\n')}\n`;
  await writeFile(join(root, 'assets/site.css'), css);
  await writeFile(join(root, 'assets/app.js'), js);

  const images: string[] = [];
  for (let i = 0; i < IMAGE_COUNT; i++) {
    const path = `/assets/img-${i}.png`;
    images.push(path);
    await writeFile(join(root, path), randomBytes(random, random.int(4_000, 90_000)));
  }

  const pages: SiteManifest['pages'] = [];
  const pagePaths = ['/index.html', ...Array.from({ length: PAGE_COUNT }, (_, i) => `/pages/p${i + 1}.html`)];
  for (const path of pagePaths) {
    const pageImages = Array.from({ length: random.int(2, 6) }, () => random.pick(images));
    const assets = ['/assets/site.css', '/assets/app.js', ...new Set(pageImages)];
    const paragraphs = Array.from({ length: random.int(5, 40) }, () => `<p>${random.token(random.int(200, 900))}</p>`).join('\n');
    const links = pagePaths.map((other) => `<a href="${other}">${other}</a>`).join(' ');
    const html =
      `<!doctype html>\n<html><head><title>${path}</title><link rel="stylesheet" href="/assets/site.css">` +
      `<script src="/assets/app.js"></script></head><body>\n<nav>${links}</nav>\n` +
      assets.filter((asset) => asset.endsWith('.png')).map((asset) => `<img src="${asset}">`).join('\n') +
      `\n${paragraphs}\n</body></html>\n`;
    await writeFile(join(root, path), html);
    pages.push({ path, assets });
  }

  const downloads = DOWNLOAD_SIZES_BYTES.map((sizeBytes) => ({ path: `/files/file-${sizeBytes / 1024 / 1024}mb.bin`, sizeBytes }));
  for (const download of downloads) await writeFile(join(root, download.path), randomBytes(random, download.sizeBytes));

  const apiItems: string[] = [];
  for (let i = 1; i <= API_ITEM_COUNT; i++) {
    const path = `/api/items/${i}.json`;
    apiItems.push(path);
    const item = { id: i, name: random.token(12), price: random.int(100, 99_999) / 100, tags: Array.from({ length: random.int(0, 5) }, () => random.token(6)) };
    await writeFile(join(root, path), JSON.stringify(item));
  }

  return { pages, downloads, apiItems, apiStatus: '/api/status', apiEcho: '/api/echo' };
}
