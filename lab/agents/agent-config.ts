import type { SiteManifest } from '../site.ts';

/** Think time range in ms: a uniform pause between two actions. */
export type ThinkRangeMs = [number, number];

/** One benign behaviour; a client runs several side by side. */
export type BenignActivity =
  | { kind: 'browse'; keepAlive: boolean; thinkMs: ThinkRangeMs; parallelAssets: number }
  | { kind: 'download'; thinkMs: ThinkRangeMs }
  | { kind: 'api'; keepAlive: boolean; thinkMs: ThinkRangeMs; postShare: number }
  | { kind: 'dns'; thinkMs: ThinkRangeMs }
  | { kind: 'idle'; requestEveryMs: number }
  | { kind: 'ping'; thinkMs: ThinkRangeMs; count: number };

export type ActivityKind = BenignActivity['kind'];

/** Configuration of the benign client agent (passed as one JSON argument). */
export interface BenignAgentConfig {
  host: string;
  /** Target address (IPv4 or IPv6) and ports. */
  targetAddress: string;
  httpPort: number;
  udpPort: number;
  seed: number;
  /** Hard bound: the agent exits after this long even without SIGTERM. */
  maxDurationMs: number;
  statsIntervalMs: number;
  activities: BenignActivity[];
  site: SiteManifest;
}

export interface ActivityStats {
  requests: number;
  ok: number;
  failed: number;
  bytes: number;
}

/** Line the agent prints on standard output. */
export interface AgentStatsLine {
  type: 'stats';
  host: string;
  final: boolean;
  byKind: Partial<Record<ActivityKind, ActivityStats>>;
  /** Up to the last 5 failure messages, for diagnosis. */
  recentErrors: string[];
}
