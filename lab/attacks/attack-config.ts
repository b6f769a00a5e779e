/** Configuration shared by the lab's TypeScript attack tools (passed as one JSON argument). */
export interface HttpAttackConfig {
  targetAddress: string;
  port: number;
  /** The tool stops itself after this long; the runner also kills it shortly after. */
  durationMs: number;
  /** Concurrent workers (HULK, GoldenEye) or open connections (slowloris). */
  concurrency: number;
  /** Upper bound on requests per second over all workers; 0 means unbounded (HULK, GoldenEye). */
  maxRequestsPerSecond: number;
  /** slowloris: new connections per second and seconds between header lines. */
  connectRatePerSecond?: number;
  headerIntervalMs?: number;
  seed: number;
}

/** Final line an attack tool prints on standard output. */
export interface AttackToolResult {
  type: 'result';
  tool: string;
  requests: number;
  responses: number;
  errors: number;
  connections: number;
}
