import { randomBytes, randomInt } from 'node:crypto';
import { existsSync } from 'node:fs';
import { copyFile, mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { execa } from 'execa';
import { up, down, REPO_ROOT, type LabMode, type LabTopology } from '../topology.ts';
import { gatewayConfigYaml, type E2eGatewayConfigOptions, type FlowPreset } from './gateway-config.ts';
import { GatewayProcess, writeConfigFile } from './gateway-process.ts';
import { deleteTable } from './nft-elements.ts';

export const DEFAULT_MODEL = 'models/flowguard-default.onnx';

/** The model the end-to-end run uses: FLOWGUARD_E2E_MODEL, else the shipped model. */
export function e2eModelPath(env: NodeJS.ProcessEnv = process.env): string {
  return resolve(REPO_ROOT, env.FLOWGUARD_E2E_MODEL ?? DEFAULT_MODEL);
}

/** Why the end-to-end run cannot run here, or undefined when it can. */
export function e2eSkipReason(modelPath: string): string | undefined {
  if (process.getuid?.() !== 0) return 'needs root: the lab creates network namespaces and the gateway writes nftables rules';
  if (!existsSync(modelPath)) return `model ${modelPath} is missing; train it (npm run train) or set FLOWGUARD_E2E_MODEL`;
  return undefined;
}

/** Compiles dist/, which bin/flowguard.js runs. */
export async function buildGateway(): Promise<void> {
  await execa('npm', ['run', 'build'], { cwd: REPO_ROOT, timeout: 300_000 });
}

export interface SessionOptions {
  mode?: LabMode;
  clientCount?: number;
  attackerCount?: number;
  modelPath: string;
  flowPreset: FlowPreset;
  /** Upper bound on the gateway process's life. */
  maxLifetimeMs: number;
  /** Copy the gateway's log here before the temporary folder is removed. */
  keepLogAs?: string;
}

/** A lab with the gateway running inside its gateway namespace. */
export interface E2eSession {
  topology: LabTopology;
  gateway: GatewayProcess;
  tableName: string;
  tableFamily: 'inet' | 'bridge';
  workDir: string;
  config: E2eGatewayConfigOptions;
  /** Starts a new gateway process on the same config and state (a restart). */
  restartGateway(): Promise<{ stopMs: number; exitCode: number | undefined; startMs: number }>;
  close(): Promise<void>;
}

/**
 * Brings the lab up, writes the gateway config (random table name, state and logs in a new
 * temporary folder, API on loopback with a random token and port) and starts the gateway in the
 * gateway namespace. On failure everything created so far is removed.
 */
export async function openSession(options: SessionOptions): Promise<E2eSession> {
  const workDir = await mkdtemp(join(tmpdir(), 'fg-e2e-'));
  let topology: LabTopology | undefined;
  let gateway: GatewayProcess | undefined;
  const tableName = `fge2e_${randomBytes(3).toString('hex')}`;
  const mode = options.mode ?? 'router';
  const tableFamily = mode === 'router' ? 'inet' : 'bridge';
  const close = async () => {
    try {
      await gateway?.stop().catch(() => undefined);
      if (topology) {
        await deleteTable(topology.gateway.namespace, tableFamily, tableName).catch(() => undefined);
        await down(topology.runId).catch(() => undefined);
      }
      if (options.keepLogAs) await copyFile(join(workDir, 'gateway.log'), options.keepLogAs).catch(() => undefined);
    } finally {
      await rm(workDir, { recursive: true, force: true });
    }
  };
  try {
    topology = await up({ mode, clientCount: options.clientCount ?? 4, attackerCount: options.attackerCount ?? 3 });
    const config: E2eGatewayConfigOptions = {
      topology,
      modelPath: options.modelPath,
      tableName,
      stateDirectory: join(workDir, 'state'),
      logFile: join(workDir, 'gateway.log'),
      apiPort: randomInt(20_000, 60_000),
      apiToken: randomBytes(24).toString('hex'),
      flowPreset: options.flowPreset,
    };
    const configFile = join(workDir, 'flowguard.yaml');
    await writeConfigFile(configFile, gatewayConfigYaml(config));
    const processOptions = {
      namespace: topology.gateway.namespace,
      configFile,
      logFile: config.logFile,
      apiPort: config.apiPort,
      apiToken: config.apiToken,
      maxLifetimeMs: options.maxLifetimeMs,
    };
    gateway = new GatewayProcess(processOptions);
    await gateway.start();
    const session: E2eSession = {
      topology,
      gateway,
      tableName,
      tableFamily,
      workDir,
      config,
      async restartGateway() {
        const stopped = await session.gateway.stop();
        const startedAt = Date.now();
        session.gateway = gateway = new GatewayProcess(processOptions);
        await session.gateway.start();
        return { stopMs: stopped.stopMs, exitCode: stopped.exitCode, startMs: Date.now() - startedAt };
      },
      close,
    };
    return session;
  } catch (err) {
    const tail = gateway ? `\n--- gateway log ---\n${gateway.logTail()}\n--- stderr ---\n${gateway.stderrTail}` : '';
    await close();
    if (err instanceof Error && tail) err.message += tail;
    throw err;
  }
}
