// The audit trail: one row per state transition, external effect (intent and result) or
// note. Rows are never updated or deleted; retention purges blobs, not the trail.
import { announce } from './daemon-events.ts';
import type { Db } from './open-database.ts';
import type { RequestState } from './request-states.ts';

export interface NewEvent {
  requestId: string | null;
  kind: 'transition' | 'effect' | 'note' | 'mail';
  fromState?: RequestState;
  toState?: RequestState;
  detail?: Record<string, unknown> | undefined;
}

export interface EventRow extends NewEvent {
  id: number;
  at: string;
}

export function addEvent(db: Db, event: NewEvent, now: Date): void {
  const { lastInsertRowid: id } = db.prepare('INSERT INTO events (request_id, at, kind, from_state, to_state, detail) VALUES (?, ?, ?, ?, ?, ?)').run(
    event.requestId, now.toISOString(), event.kind, event.fromState ?? null, event.toState ?? null,
    event.detail === undefined ? null : JSON.stringify(event.detail));
  const { requestId, toState } = event;
  if (event.kind !== 'transition' || requestId === null || toState === undefined) return;
  const reason = typeof event.detail?.reason === 'string' ? event.detail.reason : undefined;
  announce(db, {
    // The same row, still there: the transaction that wrote it was committed.
    committed: () => db.prepare('SELECT 1 FROM events WHERE id = ? AND request_id = ? AND to_state = ? AND at = ?').get(id, requestId, toState, now.toISOString()) !== undefined,
    tell: (events) => events.emit('request', { requestId, from: event.fromState ?? null, to: toState, at: now, ...(reason !== undefined ? { reason } : {}) }),
  });
}

/** How many of a request's events of `kind` have `field` = `value` in their detail (counted by SQLite, the trail not read). */
export function countEventsWith(db: Db, requestId: string, kind: NewEvent['kind'], field: string, value: string | number): number {
  if (!/^\w+$/.test(field)) throw new Error(`not a detail field name: ${field}`);
  const row = db.prepare(`SELECT count(*) AS n FROM events WHERE request_id = ? AND kind = ? AND json_extract(detail, '$.${field}') = ?`)
    .get(requestId, kind, value) as { n: number };
  return row.n;
}

export function listEvents(db: Db, requestId: string): EventRow[] {
  const rows = db.prepare('SELECT * FROM events WHERE request_id = ? ORDER BY id').all(requestId) as Array<Record<string, unknown>>;
  return rows.map((r) => ({
    id: r.id as number,
    at: r.at as string,
    requestId: r.request_id as string | null,
    kind: r.kind as NewEvent['kind'],
    fromState: (r.from_state as RequestState | null) ?? undefined,
    toState: (r.to_state as RequestState | null) ?? undefined,
    detail: r.detail ? (JSON.parse(r.detail as string) as Record<string, unknown>) : undefined,
  }));
}

/** Whether an effect's intent (or result) was recorded for this request, e.g. 'send'. */
export function hasEffect(db: Db, requestId: string, effect: string, phase: 'intent' | 'done'): boolean {
  const row = db.prepare(`SELECT 1 FROM events WHERE request_id = ? AND kind = 'effect'
      AND json_extract(detail, '$.effect') = ? AND json_extract(detail, '$.phase') = ? LIMIT 1`).get(requestId, effect, phase);
  return row !== undefined;
}

/** When the effect's `phase` was last recorded for this request, if ever. */
export function lastEffectAt(db: Db, requestId: string, effect: string, phase: string): Date | undefined {
  const row = db.prepare(`SELECT at FROM events WHERE request_id = ? AND kind = 'effect'
      AND json_extract(detail, '$.effect') = ? AND json_extract(detail, '$.phase') = ? ORDER BY id DESC LIMIT 1`).get(requestId, effect, phase) as { at: string } | undefined;
  return row ? new Date(row.at) : undefined;
}

/** The phase last recorded for an effect of this request ('intent', 'done', 'failed', …), if any. */
export function lastEffectPhase(db: Db, requestId: string, effect: string): string | undefined {
  const row = db.prepare(`SELECT json_extract(detail, '$.phase') AS phase FROM events WHERE request_id = ? AND kind = 'effect'
      AND json_extract(detail, '$.effect') = ? ORDER BY id DESC LIMIT 1`).get(requestId, effect) as { phase: string } | undefined;
  return row?.phase;
}

/** References the provider's mails to this request's return address carried (an order's notice names its id). */
export function announcedReferences(db: Db, requestId: string): string[] {
  const words = listEvents(db, requestId)
    .filter((e) => e.kind === 'mail' && (e.detail?.received === 'notice' || e.detail?.received === 'completion') && Array.isArray(e.detail.references))
    .flatMap((e) => e.detail!.references as string[]);
  return [...new Set(words)];
}
