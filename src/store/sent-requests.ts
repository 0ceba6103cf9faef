// Requests waiting for their signers (state `sent`), as the scheduler's periodic tasks see
// them: when each was sent (its latest `sent` transition — an operator's retry can send
// again), and whether a `complete` job is already queued for it. Requests held after a
// restore (restore-holds.ts) are left out: the operator checks them first.
import { addEvent } from './events.ts';
import { enqueueJob } from './jobs.ts';
import type { Db } from './open-database.ts';
import { getRequest, type RequestRow } from './requests.ts';

export interface SentRequest {
  request: RequestRow;
  sentAt: Date;
  completePending: boolean;
}

export function listSentRequests(db: Db): SentRequest[] {
  const rows = db.prepare(`SELECT r.id,
      (SELECT max(e.at) FROM events e WHERE e.request_id = r.id AND e.kind = 'transition' AND e.to_state = 'sent') AS sent_at,
      EXISTS (SELECT 1 FROM jobs j WHERE j.request_id = r.id AND j.kind = 'complete' AND j.state = 'pending') AS complete_pending
    FROM requests r WHERE r.state = 'sent' AND NOT EXISTS (SELECT 1 FROM restore_holds h WHERE h.request_id = r.id)
    ORDER BY r.created_at, r.id`).all() as Array<{ id: string; sent_at: string | null; complete_pending: number }>;
  return rows.flatMap((row) => {
    const request = getRequest(db, row.id);
    // No `sent` event cannot happen through `transition`; the update time is the best guess then.
    return request ? [{ request, sentAt: new Date(row.sent_at ?? request.updatedAt), completePending: row.complete_pending === 1 }] : [];
  });
}

/**
 * Queues the `complete` job for a request that is still `sent` and has none pending, with
 * an audit note saying why; false when there was nothing to do (in one transaction, so a
 * completion mail handled meanwhile cannot add a second job).
 */
export function queueCompleteJob(db: Db, requestId: string, note: Record<string, unknown>, now: Date): boolean {
  return db.transaction(() => {
    const row = db.prepare(`SELECT r.state,
        EXISTS (SELECT 1 FROM jobs j WHERE j.request_id = r.id AND j.kind = 'complete' AND j.state = 'pending') AS pending
      FROM requests r WHERE r.id = ?`).get(requestId) as { state: string; pending: number } | undefined;
    if (!row || row.state !== 'sent' || row.pending === 1) return false;
    enqueueJob(db, { kind: 'complete', requestId, payload: { attachments: [], source: 'reconcile' } }, now);
    addEvent(db, { requestId, kind: 'note', detail: note }, now);
    return true;
  })();
}
