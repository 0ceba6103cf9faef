// Read-only summaries for `signrelay status` and the health endpoint: requests by state and
// the job queue. Cheap aggregate queries; never secrets (jobs.last_error is redacted text).
import { NOT_HELD } from './jobs.ts';
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
  /** Pending jobs waiting for an operator's fix (a credential or setting a service refused), with the latest of their errors. */
  waitingForOperator: number;
  operatorError: string | null;
  /**
   * Jobs given up that still stand, not retried since: a step of a request that is `failed`
   * now (until a `retry`), or any other job given up within the last day — a mail its recipient
   * refused, a note on the record, the step of a request cancelled since.
   */
  failed: number;
  /** Requests held after a restore was found (restore-holds.ts): their jobs wait for `signrelay release`, not counted as due. */
  held: number;
  /** When the first of them was held. */
  heldSince: string | null;
}

/** How long a job given up apart from a failed request (a mail its recipient refused) counts in `failed`. */
export const GIVEN_UP_COUNTS_MS = 24 * 3_600_000;

export function queueSummary(db: Db, now: Date): QueueSummary {
  const at = now.toISOString();
  // The pending jobs only (jobs_due): done jobs stay for ever, and /healthz and /metrics ask often.
  const row = db.prepare(`SELECT
      count(*) AS pending,
      sum(run_at <= ? AND NOT held) AS due,
      min(CASE WHEN run_at <= ? AND NOT held THEN run_at END) AS oldest,
      sum(attempts > 0 OR last_error IS NOT NULL) AS retrying,
      sum(waiting_for = 'operator' AND NOT held) AS operator
    FROM (SELECT *, NOT ${NOT_HELD} AS held FROM jobs WHERE state = 'pending')`).get(at, at) as Record<string, number | string | null>;
  // Retried: a later job of the same kind for the same request (`signrelay retry` queues one).
  // A mail is never retried so: a later mail of the request is another mail.
  const failed = db.prepare(`SELECT count(*) AS n FROM jobs j LEFT JOIN requests r ON r.id = j.request_id
    WHERE j.state = 'failed' AND (r.state = 'failed' OR j.updated_at >= ?)
      AND NOT EXISTS (SELECT 1 FROM jobs later WHERE j.kind <> 'mail' AND later.request_id = j.request_id AND later.kind = j.kind AND later.id > j.id)`)
    .get(new Date(now.getTime() - GIVEN_UP_COUNTS_MS).toISOString()) as { n: number };
  const last = db.prepare("SELECT last_error FROM jobs WHERE state = 'pending' AND last_error IS NOT NULL ORDER BY updated_at DESC LIMIT 1")
    .get() as { last_error: string } | undefined;
  const operator = db.prepare(`SELECT last_error FROM jobs WHERE state = 'pending' AND waiting_for = 'operator' AND ${NOT_HELD} ORDER BY updated_at DESC LIMIT 1`)
    .get() as { last_error: string | null } | undefined;
  return {
    pending: Number(row.pending ?? 0),
    due: Number(row.due ?? 0),
    oldestDueAt: (row.oldest as string | null) ?? null,
    retrying: Number(row.retrying ?? 0),
    lastError: last?.last_error ?? null,
    waitingForOperator: Number(row.operator ?? 0),
    operatorError: operator?.last_error ?? null,
    failed: failed.n,
    ...heldSummary(db),
  };
}

function heldSummary(db: Db): Pick<QueueSummary, 'held' | 'heldSince'> {
  const row = db.prepare('SELECT count(*) AS n, min(held_at) AS since FROM restore_holds').get() as { n: number; since: string | null };
  return { held: Number(row.n), heldSince: row.since };
}
