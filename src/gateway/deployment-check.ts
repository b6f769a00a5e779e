import { existsSync } from 'node:fs';
import type { ConfigProblem } from '../errors/config.ts';
import { resolveFlowMeterOptions } from '../flows/options.ts';
import { loadModelCard, type ModelCard } from '../infer/model-card.ts';
import { resolveInstallPath, type GatewayConfig } from './config.ts';

/**
 * Checks what a valid config refers to on this host: the model file and its card (mode and
 * window must fit the flow meter) and the capture interfaces. `flowguard check-config` runs it,
 * so systemd's ExecStartPre stops a config that would fail at start.
 */
export async function checkDeployment(
  config: Readonly<GatewayConfig>,
  options: { interfaces: boolean },
): Promise<{ problems: ConfigProblem[]; warnings: ConfigProblem[] }> {
  const problems: ConfigProblem[] = [];
  const warnings: ConfigProblem[] = [];
  const modelPath = resolveInstallPath(config.scorer.modelPath);
  if (!existsSync(modelPath)) {
    problems.push({ path: 'scorer.modelPath', message: `model file '${modelPath}' not found; relative paths resolve against the install directory` });
  } else {
    try {
      const { card } = await loadModelCard(modelPath, { flowMeterMode: config.flows.mode ?? 'corrected', windowLength: config.scorer.windowLength }, config.scorer.cardPath);
      for (const key of flowSettingsDifferences(card, config)) {
        warnings.push({ path: `flows.${key}`, message: `differs from the setting the model was trained with (${JSON.stringify((card.flowMeter as Record<string, unknown>)[key])}); flows cut differently have other feature values` });
      }
    } catch (err) {
      problems.push({ path: 'scorer.modelPath', message: (err as Error).message });
    }
  }
  if (options.interfaces) {
    config.capture.interfaces.forEach((name, index) => {
      if (!existsSync(`/sys/class/net/${name}`)) {
        problems.push({ path: `capture.interfaces[${index}]`, message: `interface '${name}' does not exist on this host; 'ip link' lists the interfaces` });
      }
    });
  }
  return { problems, warnings };
}

/**
 * Lists the flow meter keys whose value differs between the config and the settings the model
 * card records for its training flows. A card without those settings gives an empty list.
 */
export function flowSettingsDifferences(card: ModelCard, config: Readonly<GatewayConfig>): string[] {
  const trained = card.flowMeter as Record<string, unknown> | undefined;
  if (trained === undefined || trained === null || typeof trained !== 'object') return [];
  const running = resolveFlowMeterOptions(structuredClone(config.flows)) as unknown as Record<string, unknown>;
  return Object.keys(running).filter((key) => key in trained && JSON.stringify(running[key]) !== JSON.stringify(trained[key]));
}

/** Export delay above which a flood is judged too late for a gateway (the lab blocks floods within 3 s). */
const SLOW_EXPORT_MS = 10_000;

/**
 * Lists the flow meter timeouts that hold floods back from scoring, with the example config's
 * value for each. A flow is scored only once it is exported, so with CICFlowMeter's 120 s
 * timeouts a UDP flood waits 120 s and an ICMP echo flood waits until it stops.
 */
export function detectionDelayWarnings(config: Readonly<GatewayConfig>): ConfigProblem[] {
  const flows = resolveFlowMeterOptions(structuredClone(config.flows));
  const warnings: ConfigProblem[] = [];
  const check = (path: string, valueMs: number | null, effect: string, suggestedMs: number) => {
    if (valueMs !== null && valueMs <= SLOW_EXPORT_MS) return;
    const valueText = valueMs === null ? 'null (no active timeout)' : `${valueMs} ms`;
    warnings.push({ path: `flows.${path}`, message: `is ${valueText}: ${effect}. Set ${suggestedMs}, as the example config does, to score them within about ${suggestedMs / 1000} s` });
  };
  check('idleTimeoutMs.udp', flows.idleTimeoutMs.udp, "a UDP flood's one-packet flows are scored only after that much silence each", 1_000);
  check('idleTimeoutMs.icmp', flows.idleTimeoutMs.icmp, 'ICMP flows are scored only after that much silence', 1_000);
  check('idleTimeoutMs.tcpOnePacket', flows.idleTimeoutMs.tcpOnePacket, "a SYN flood's unanswered SYNs are scored only after that long", 2_000);
  if (flows.mode === 'corrected') {
    check('activeTimeoutMs', flows.activeTimeoutMs, 'long flows such as an ICMP echo flood are scored only when they end', 2_000);
  }
  return warnings;
}
