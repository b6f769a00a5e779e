import { readFileSync } from 'node:fs';

/** Kernel packet counters of one interface, from /sys/class/net/IF/statistics. */
export interface InterfaceCounters {
  rxPackets: number;
  txPackets: number;
  rxDropped: number;
  rxMissedErrors: number;
}

const COUNTER_FILES = { rxPackets: 'rx_packets', txPackets: 'tx_packets', rxDropped: 'rx_dropped', rxMissedErrors: 'rx_missed_errors' } as const;

/**
 * Reads the counters of `device`; returns undefined when the interface has no sysfs entry
 * (another network namespace, a pseudo-device such as `any`, or not Linux).
 * Reads four small files synchronously: call it per stats request, never per packet.
 */
export function readInterfaceCounters(device: string): InterfaceCounters | undefined {
  if (!/^[\w.:@-]{1,15}$/.test(device)) return undefined;
  const counters: Partial<InterfaceCounters> = {};
  try {
    for (const [key, file] of Object.entries(COUNTER_FILES)) {
      counters[key as keyof InterfaceCounters] = Number(readFileSync(`/sys/class/net/${device}/statistics/${file}`, 'utf8').trim());
    }
  } catch {
    return undefined;
  }
  return counters as InterfaceCounters;
}
