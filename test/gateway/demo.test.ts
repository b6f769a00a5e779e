import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { createServer, type Server } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { execa } from 'execa';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { REPO_ROOT } from '../helpers/shared-data.ts';

const CLI = join(REPO_ROOT, 'bin', 'flowguard.js');

describe('flowguard demo on bad input', () => {
  let folder: string;
  let server: Server;

  beforeAll(async () => {
    folder = await mkdtemp(join(tmpdir(), 'fg-demo-'));
    server = createServer();
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  });

  afterAll(async () => {
    server.close();
    await rm(folder, { recursive: true, force: true });
  });

  it('rejects a file that is not a capture before starting', async () => {
    const file = join(folder, 'notes.txt');
    await writeFile(file, 'hello world\n');
    const result = await execa('node', [CLI, 'demo', '--capture', file], { reject: false, timeout: 30_000 });
    expect(result.exitCode).toBe(2);
    expect(result.stderr).toContain(`capture file '${file}' starts with 0x68656c6c, which is neither pcap nor pcapng`);
    expect(result.stdout).not.toContain('dashboard:');
  });

  it('names --port when its port is taken', async () => {
    const port = (server.address() as { port: number }).port;
    const result = await execa('node', [CLI, 'demo', '--port', String(port), '--once'], { reject: false, timeout: 60_000 });
    expect(result.exitCode).toBe(1);
    expect(result.stderr).toContain(`cannot listen on 127.0.0.1 port ${port}`);
    expect(result.stderr).toContain('--port');
  });
});
