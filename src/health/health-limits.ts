// The limits signrelay judges its own health by — one set for `signrelay status`, /healthz
// and the watchdog, so they never disagree.
import { DEFAULT_LIVENESS_INTERVAL_MS } from '../mail/imap-watcher.ts';
import { freeBytesAt } from '../store/open-database.ts';
import type { HealthInput } from './assess-health.ts';
import { STATUS_INTERVAL_MS } from './status-reporter.ts';

export const HEALTH_LIMITS = {
  /** A self-report older than this: the daemon is hung or gone. */
  staleAfterMs: 3 * STATUS_INTERVAL_MS,
  /** A watcher that has heard nothing from its server for this long is deaf. */
  heartbeatMaxAgeMs: 3 * DEFAULT_LIVENESS_INTERVAL_MS,
  /** A due job waiting longer than this: the queue is stuck. */
  queueMaxDelayMs: 10 * 60_000,
} as const;

/** The data dir's room, as the health verdict takes it; undefined when its filesystem cannot be looked at. */
export function dataDirSpace(path: string, maxPdfBytes: number): HealthInput['dataDir'] {
  const freeBytes = freeBytesAt(path);
  return freeBytes === null ? undefined : { path, freeBytes, maxPdfBytes };
}
