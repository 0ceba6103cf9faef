// Requests held after a restore was found (migration 0021): their jobs are not run
// (jobs.ts leaves them out of what is due) and the scheduler neither reconciles nor reminds
// them (sent-requests.ts), until an operator releases them (`signrelay release`). A restored
// database does again what was done after its backup — a request it holds as not yet sent
// went out since, and would invite its signers a second time — and only the operator can
// tell, at the provider and on the record, what was done.
import { addEvent } from './events.ts';
import type { Db } from './open-database.ts';
import type { RequestState } from './request-states.ts';

/** Not held: the states whose work is done, unless a job of theirs is still pending (a notice, a reply). */
const DONE_STATES: readonly RequestState[] = ['delivered', 'rejected', 'declined', 'expired', 'cancelled'];

export interface HeldRequest {
  id: string;
  state: RequestState;
  recordNumber: string | null;
  heldAt: string;
}

/** Holds every request with work left (its state, or a pending job), each with a note in its trail; returns how many it held now. */
export function holdOpenRequests(db: Db, now: Date): number {
  const done = DONE_STATES.map(() => '?').join(', ');
  return db.transaction(() => {
    const ids = db.prepare(`SELECT r.id FROM requests r
      WHERE (r.state NOT IN (${done}) OR EXISTS (SELECT 1 FROM jobs j WHERE j.request_id = r.id AND j.state = 'pending'))
        AND NOT EXISTS (SELECT 1 FROM restore_holds h WHERE h.request_id = r.id)`).pluck().all(...DONE_STATES) as string[];
    for (const id of ids) {
      db.prepare('INSERT INTO restore_holds (request_id, held_at) VALUES (?, ?)').run(id, now.toISOString());
      addEvent(db, { requestId: id, kind: 'note', detail: { held: 'restore' } }, now);
    }
    return ids.length;
  }).immediate();
}

export function heldRequests(db: Db, limit = 1000): HeldRequest[] {
  const rows = db.prepare(`SELECT r.id, r.state, r.record_number, h.held_at FROM restore_holds h JOIN requests r ON r.id = h.request_id
    ORDER BY r.created_at, r.id LIMIT ?`).all(limit) as Array<Record<string, string | null>>;
  return rows.map((r) => ({ id: r.id!, state: r.state as RequestState, recordNumber: r.record_number ?? null, heldAt: r.held_at! }));
}

export function countHeld(db: Db): number {
  return Number(db.prepare('SELECT count(*) FROM restore_holds').pluck().get());
}

export function isHeld(db: Db, requestId: string): boolean {
  return db.prepare('SELECT 1 FROM restore_holds WHERE request_id = ?').get(requestId) !== undefined;
}

/** Lets the requests' work run again, each with a note in its trail; `ids` undefined: all. Returns the ids released. */
export function releaseHolds(db: Db, ids: readonly string[] | undefined, now: Date): string[] {
  return db.transaction(() => {
    const held = ids === undefined
      ? (db.prepare('SELECT request_id FROM restore_holds').pluck().all() as string[])
      : ids.filter((id) => isHeld(db, id));
    for (const id of held) {
      db.prepare('DELETE FROM restore_holds WHERE request_id = ?').run(id);
      // What a start does for jobs waiting for a fix (jobs.ts releaseJobsWaitingForFix), which
      // a held job missed: the operator's fix of the restore (a new token) is usually there.
      db.prepare(`UPDATE jobs SET run_at = min(run_at, ?), updated_at = ? WHERE request_id = ? AND state = 'pending'
        AND waiting_for IN ('operator', 'infrastructure')`).run(now.toISOString(), now.toISOString(), id);
      addEvent(db, { requestId: id, kind: 'note', detail: { released: 'restore' } }, now);
    }
    return held;
  }).immediate();
}
