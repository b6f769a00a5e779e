import { randomBytes } from 'node:crypto';
import { execa } from 'execa';

/**
 * Network namespaces and veth pairs that one test creates and removes itself.
 *
 * Every name carries a random suffix, so tests can run side by side and teardown deletes only
 * what this instance created. Interface names stay within the kernel's 15-character limit.
 */
export class TestNetwork {
  readonly suffix = randomBytes(3).toString('hex');
  readonly #namespaces: string[] = [];
  readonly #hostLinks: string[] = [];

  /** Creates a namespace named `fg<role><suffix>` with loopback up and returns its name. */
  async addNamespace(role: string): Promise<string> {
    const name = `fg${role}${this.suffix}`;
    await ip(['netns', 'add', name]);
    this.#namespaces.push(name);
    await ip(['-n', name, 'link', 'set', 'lo', 'up']);
    return name;
  }

  /**
   * Creates a veth pair between two namespaces (undefined = the test's own namespace), assigns
   * the addresses (CIDR form) and brings both ends up. Returns the two interface names.
   */
  async addLink(
    a: { ns?: string; address?: string; name: string },
    b: { ns?: string; address?: string; name: string },
  ): Promise<[string, string]> {
    const nameA = `${a.name}${this.suffix}`.slice(0, 15);
    const nameB = `${b.name}${this.suffix}`.slice(0, 15);
    await ip(['link', 'add', nameA, 'type', 'veth', 'peer', 'name', nameB]);
    if (!a.ns) this.#hostLinks.push(nameA);
    if (!b.ns) this.#hostLinks.push(nameB);
    for (const [end, name] of [
      [a, nameA],
      [b, nameB],
    ] as const) {
      if (end.ns) await ip(['link', 'set', name, 'netns', end.ns]);
      const prefix = end.ns ? ['-n', end.ns] : [];
      if (end.address) await ip([...prefix, 'addr', 'add', end.address, 'dev', name]);
      await ip([...prefix, 'link', 'set', name, 'up']);
      // Offloads coalesce segments; tests want the packets that were really sent.
      const offloads = ['-K', name, 'gro', 'off', 'tso', 'off', 'gso', 'off'];
      if (end.ns) await execa('ip', ['netns', 'exec', end.ns, 'ethtool', ...offloads], { reject: false });
      else await execa('ethtool', offloads, { reject: false });
    }
    return [nameA, nameB];
  }

  /** Runs a command inside a namespace and returns its result (never throws on exit code). */
  exec(ns: string, command: string, args: string[], options: { timeout?: number; input?: string } = {}) {
    return execa('ip', ['netns', 'exec', ns, command, ...args], { reject: false, timeout: options.timeout ?? 30_000, input: options.input });
  }

  /** Removes every namespace and host-side link this instance created; safe to call twice. */
  async destroy(): Promise<void> {
    for (const link of this.#hostLinks.splice(0)) await execa('ip', ['link', 'del', link], { reject: false });
    for (const ns of this.#namespaces.splice(0)) await execa('ip', ['netns', 'del', ns], { reject: false });
  }
}

async function ip(args: string[]): Promise<void> {
  const result = await execa('ip', args, { reject: false });
  if (result.exitCode !== 0) {
    throw new Error(`ip ${args.join(' ')} failed with exit code ${result.exitCode}: ${String(result.stderr).trim()}`);
  }
}

/** True when this process may create namespaces (root with iproute2); tests skip otherwise. */
export async function canUseNamespaces(): Promise<boolean> {
  if (process.getuid?.() !== 0) return false;
  const result = await execa('ip', ['netns', 'list'], { reject: false });
  return result.exitCode === 0;
}
