import { readFileSync, existsSync } from 'node:fs';
import { dirname, join, basename } from 'node:path';
import { stringify } from 'yaml';
import type { LabTopology } from '../topology.ts';

/**
 * Flow-meter settings the end-to-end run can give the gateway.
 *
 * - `dataset`: the meter's defaults (120 s idle, 5 s TCP linger, no active timeout), the settings
 *   the training flows were extracted with, so the model gets the features it was trained on.
 * - `fast`: short UDP and ICMP idle timeouts, a 2 s idle timeout for one-packet TCP flows
 *   (unanswered SYNs), a short TCP linger and an active timeout, so floods of one-packet flows and
 *   one long ICMP flow are exported within about a second or two. Flows are cut earlier than in
 *   training, so some features (duration, totals, rates) differ.
 * - `fast-tcp`: `fast` plus a 5 s TCP idle timeout, so one-SYN flows of a spoofed SYN flood are
 *   exported within seconds; benign keep-alive connections idle longer than 5 s are split.
 */
export type FlowPreset = 'dataset' | 'fast' | 'fast-tcp';

export const FLOW_PRESET_NAMES: readonly FlowPreset[] = ['dataset', 'fast', 'fast-tcp'];

export const FLOW_PRESETS: Record<FlowPreset, Record<string, unknown>> = {
  dataset: {},
  fast: {
    idleTimeoutMs: { tcp: 120_000, tcpOnePacket: 2_000, udp: 1_000, icmp: 1_000 },
    activeTimeoutMs: 2_000,
    tcpLingerMs: 500,
  },
  'fast-tcp': {
    idleTimeoutMs: { tcp: 5_000, udp: 1_000, icmp: 1_000 },
    activeTimeoutMs: 2_000,
    tcpLingerMs: 500,
  },
};

export interface E2eGatewayConfigOptions {
  topology: LabTopology;
  modelPath: string;
  tableName: string;
  stateDirectory: string;
  logFile: string;
  apiPort: number;
  apiToken: string;
  flowPreset: FlowPreset;
}

/** Finds the model card beside an ONNX file, as the scorer does (`NAME.card.json`, then `NAME.json`). */
export function modelCardPath(modelPath: string): string | undefined {
  const stem = join(dirname(modelPath), basename(modelPath, '.onnx'));
  return [`${stem}.card.json`, `${stem}.json`].find((candidate) => existsSync(candidate));
}

/** The flow-meter mode the model card names; the gateway's meter must run in the same one. */
export function modelFlowMeterMode(modelPath: string): 'corrected' | 'cic2017' {
  const card = modelCardPath(modelPath);
  if (!card) return 'corrected';
  const parsed = JSON.parse(readFileSync(card, 'utf8')) as { flowMeterMode?: string };
  return parsed.flowMeterMode === 'cic2017' ? 'cic2017' : 'corrected';
}

/**
 * Builds the gateway config of the end-to-end run: real nftables in the gateway namespace, live
 * capture on the outside interface, the API on loopback with a token and an empty allowlist. Logs
 * go to a file so the run can read the audit records back.
 */
export function buildGatewayConfig(options: E2eGatewayConfigOptions): Record<string, unknown> {
  const { topology } = options;
  return {
    mode: topology.mode,
    dryRun: false,
    capture: { interfaces: [topology.gateway.outsideInterface] },
    flows: { mode: modelFlowMeterMode(options.modelPath), ...structuredClone(FLOW_PRESETS[options.flowPreset]) },
    scorer: { modelPath: options.modelPath },
    allowlist: [],
    stateDirectory: options.stateDirectory,
    enforcement: { tableName: options.tableName, tickMs: 50, reconcileIntervalMs: 5_000 },
    api: { listenAddress: '127.0.0.1', port: options.apiPort, token: options.apiToken },
    logging: { level: 'info', file: options.logFile, summaryIntervalMs: 10_000 },
  };
}

export function gatewayConfigYaml(options: E2eGatewayConfigOptions): string {
  return `# Written by the end-to-end run for lab ${options.topology.runId}.\n${stringify(buildGatewayConfig(options))}`;
}
