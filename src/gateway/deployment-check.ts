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
