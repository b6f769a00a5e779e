import { closeSync, openSync } from 'node:fs';
import { spawn } from 'node:child_process';
import { mkdir } from 'node:fs/promises';
import { join } from 'node:path';
import { nsRun, waitFor } from './exec.ts';
import { REPO_ROOT } from './lab-state.ts';
import { writeNginxConfig } from './nginx.ts';
import type { LabTopology } from './topology.ts';

/**
 * Starts a process inside a namespace that outlives the calling process (for `lab up`); its
 * output goes to `logFile`. `down` stops it with every other process of the namespace.
 */
export function startDetached(namespace: string, command: string, args: string[], logFile: string): number {
  const fd = openSync(logFile, 'a');
  try {
    const child = spawn('ip', ['netns', 'exec', namespace, command, ...args], { detached: true, stdio: ['ignore', fd, fd], cwd: REPO_ROOT });
    child.unref();
    return child.pid ?? -1;
  } finally {
    closeSync(fd);
  }
}

async function listening(namespace: string, protocol: 'tcp' | 'udp', port: number): Promise<boolean> {
  const result = await nsRun(namespace, 'ss', ['-Hn', protocol === 'tcp' ? '-lt' : '-lu', `sport = :${port}`], { allowFailure: true });
  return result.stdout.trim().length > 0;
}

/** Starts nginx and the DNS-like UDP responder in the target namespace and waits until both listen. */
export async function startTargetServices(topology: LabTopology): Promise<void> {
  const { target, workDir } = topology;
  const nginx = await writeNginxConfig(workDir, join(workDir, 'site'), target.httpPort);
  for (const name of ['body', 'proxy', 'fastcgi', 'uwsgi', 'scgi']) await mkdir(join(workDir, `nginx-${name}`), { recursive: true });
  await nsRun(target.namespace, 'nginx', ['-p', workDir, '-c', nginx.configFile, '-e', nginx.errorLog]);
  startDetached(target.namespace, process.execPath, ['--import', 'tsx', join(REPO_ROOT, 'lab/agents/udp-responder.ts'), JSON.stringify({ port: target.udpPort })], join(workDir, 'udp-responder.log'));
  await waitFor(() => listening(target.namespace, 'tcp', target.httpPort), 'nginx listening in the target namespace', 10_000);
  await waitFor(() => listening(target.namespace, 'udp', target.udpPort), 'UDP responder listening in the target namespace', 20_000);
}

