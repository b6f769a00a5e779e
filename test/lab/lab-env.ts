import { canUseNamespaces } from '../helpers/netns.ts';

/** True when the lab can run here: root, iproute2 and the attack tools. Suites skip otherwise. */
export const canRunLab = await canUseNamespaces();

export function reportLabSkip(suite: string): void {
  if (!canRunLab) process.stderr.write(`${suite}: skipped because the lab needs root and network namespaces\n`);
}
