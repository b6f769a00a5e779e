/**
 * Programmatic API of the lab, for end-to-end tests: bring the namespaces up and down, run benign
 * traffic with per-request counts, start attacks from attacker hosts, read the target's
 * per-source packet counters, and run whole labelled scenarios.
 */
export { up, down, removeStaleRuns, listRuns, loadTopology, hostAddresses, existingLabNamespaces, LAB_PREFIX, type LabTopology, type LabHost, type LabMode, type UpOptions } from './topology.ts';
export { startBenign, planBenign, totalStats, BenignTraffic, type BenignStats, type BenignOptions } from './benign.ts';
export { findScenario, resolveParameters, SCENARIOS, PARAMETER_LIMITS, type AttackParameters, type ScenarioDefinition } from './scenarios.ts';
export { startAttack, type AttackOutcome, type AttackHostOutcome, type RunningAttack, type StartAttackOptions } from './attack-runner.ts';
export { readTargetCounters, type TargetCounts, type PacketCount } from './target-counters.ts';
export { PacketCapture, type CaptureSummary } from './capture.ts';
export { runScenario, BENIGN_SCENARIO, type ScenarioRunOptions, type ScenarioRunResult } from './runner.ts';
export { isLabAddress, assertLabAddress, LAB_IPV4_RANGE, LAB_IPV6_RANGE } from './addresses.ts';
