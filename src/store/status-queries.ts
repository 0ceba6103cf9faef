// Read-only summaries for `signrelay status` and the health endpoint: requests by state and
// the job queue. Cheap aggregate queries; never secrets (jobs.last_error is redacted text).
import type { Db } from './open-database.ts';
import { REQUEST_STATES, type RequestState } from './request-states.ts';

export function countRequestsByState(db: Db): Record<RequestState, number> {
  const counts = Object.fromEntries(REQUEST_STATES.map((s) => [s, 0])) as Record<RequestState, number>;
  const rows = db.prepare('SELECT state, count(*) AS n FROM requests GROUP BY state').all() as Array<{ state: RequestState; n: number }>;
  for (const r of rows) counts[r.state] = r.n;
  return counts;
}

export interface QueueSummary {
  /** Jobs not finished yet. */
  pending: number;
  /** Of those, due now (waiting for the runner). */
  due: number;
  /** The oldest due job's run_at: how long the queue has been behind. */
  oldestDueAt: string | null;
  /** Pending jobs that have failed at least once (retrying), with the latest error. */
  retrying: number;
  lastError: string | null;
  /** Jobs given up (their requests are `failed`). */
  failed: number;
}

export function queueSummary(db: Db, now: Date): QueueSummary {
  const at = now.toISOString();
  const row = db.prepare(`SELECT
      sum(state = 'pending') AS pending,
      sum(state = 'pending' AND run_at <= ?) AS due,
      min(CASE WHEN state = 'pending' AND run_at <= ? THEN run_at END) AS oldest,
      sum(state = 'pending' AND (attempts > 0 OR last_error IS NOT NULL)) AS retrying,
      sum(state = 'failed') AS failed
    FROM jobs`).get(at, at) as Record<string, number | string | null>;
  const last = db.prepare("SELECT last_error FROM jobs WHERE state = 'pending' AND last_error IS NOT NULL ORDER BY updated_at DESC LIMIT 1")
    .get() as { last_error: string } | undefined;
  return {
    pending: Number(row.pending ?? 0),
    due: Number(row.due ?? 0),
    oldestDueAt: (row.oldest as string | null) ?? null,
    retrying: Number(row.retrying ?? 0),
    lastError: last?.last_error ?? null,
    failed: Number(row.failed ?? 0),
  };
}
