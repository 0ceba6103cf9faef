// The reminder sent for each document, as effect events in the audit trail: an intent
// before the SendReminder call, `done` after, `failed` (retryable or not) when it fails.
// An intent without a result means the process died during the call: the reminder may
// have gone out, so it is never repeated — a missing reminder is better than two.
import { addEvent } from './events.ts';
import type { Db } from './open-database.ts';

export type ReminderPhase = 'intent' | 'done' | 'failed';

export interface ReminderState {
  phase: ReminderPhase;
  /** For `failed`: whether a later run may try again (the failure was transient). */
  retry: boolean;
}

export function lastReminderState(db: Db, requestId: string, seq: number): ReminderState | undefined {
  const row = db.prepare(`SELECT json_extract(detail, '$.phase') AS phase, json_extract(detail, '$.retry') AS retry FROM events
    WHERE request_id = ? AND kind = 'effect' AND json_extract(detail, '$.effect') = 'reminder' AND json_extract(detail, '$.seq') = ?
    ORDER BY id DESC LIMIT 1`).get(requestId, seq) as { phase: ReminderPhase; retry: number | null } | undefined;
  return row ? { phase: row.phase, retry: row.retry === 1 } : undefined;
}

export function recordReminder(db: Db, input: { requestId: string; seq: number; reference: string; phase: ReminderPhase; retry?: boolean; error?: string }, now: Date): void {
  addEvent(db, {
    requestId: input.requestId, kind: 'effect',
    detail: {
      effect: 'reminder', phase: input.phase, seq: input.seq, reference: input.reference,
      ...(input.phase === 'failed' ? { retry: input.retry ?? false, error: input.error } : {}),
    },
  }, now);
}
