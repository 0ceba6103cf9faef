// The reminder sent for each document, as effect events in the audit trail: an intent
// before the SendReminder call, `done` after, `failed` (retryable or not) when it fails.
// An intent without a result means the process died during the call: the reminder may
// have gone out, so it is never repeated — a missing reminder is better than two.
import { addEvent, listEvents } from './events.ts';
import type { Db } from './open-database.ts';

export type ReminderPhase = 'intent' | 'done' | 'failed';

export interface ReminderState {
  phase: ReminderPhase;
  /** For `failed`: whether a later run may try again (the failure was transient). */
  retry: boolean;
}

/**
 * The scheduled reminder of a document for its due date `due`: a due date moved later
 * (`extend`) gets a reminder of its own. One recorded before reminders named their due date
 * counts for any.
 */
export function lastReminderState(db: Db, requestId: string, seq: number, due: string): ReminderState | undefined {
  const row = db.prepare(`SELECT json_extract(detail, '$.phase') AS phase, json_extract(detail, '$.retry') AS retry FROM events
    WHERE request_id = ? AND kind = 'effect' AND json_extract(detail, '$.effect') = 'reminder' AND json_extract(detail, '$.seq') = ?
      AND coalesce(json_extract(detail, '$.due'), ?) = ?
    ORDER BY id DESC LIMIT 1`).get(requestId, seq, due, due) as { phase: ReminderPhase; retry: number | null } | undefined;
  return row ? { phase: row.phase, retry: row.retry === 1 } : undefined;
}

export function recordReminder(db: Db, input: { requestId: string; seq: number; reference: string; due: string; phase: ReminderPhase; retry?: boolean; error?: string }, now: Date): void {
  addEvent(db, {
    requestId: input.requestId, kind: 'effect',
    detail: {
      effect: 'reminder', phase: input.phase, seq: input.seq, reference: input.reference, due: input.due,
      ...(input.phase === 'failed' ? { retry: input.retry ?? false, error: input.error } : {}),
    },
  }, now);
}

/** How long after one reminder the next may go, whoever asks (a reply, or the schedule). */
export const REMIND_AGAIN_AFTER_MS = 24 * 3_600_000;

/**
 * When the request's signers were last reminded — a scheduled reminder or one a reply asked
 * for (`only: 'reply'`: those alone; `except`: not the effects of one reply command, its
 * own; `exceptDue`: not the scheduled reminders for that due date) — by the intent of each
 * that went out or may have (done, or no result: the process died during the call); a
 * reminder that failed reminded nobody.
 */
export function lastReminderAt(db: Db, requestId: string, options: { only?: 'reply'; except?: string; exceptDue?: string } = {}): Date | undefined {
  const calls = new Map<string, { at: string; phase: unknown }>();
  for (const { kind, detail, at } of listEvents(db, requestId)) {
    const effect = detail?.effect;
    if (kind !== 'effect' || typeof effect !== 'string' || !((options.only !== 'reply' && effect === 'reminder') || effect.startsWith('reply-reminder-'))) continue;
    if (options.except !== undefined && effect.startsWith(options.except)) continue;
    if (options.exceptDue !== undefined && effect === 'reminder' && detail?.due === options.exceptDue) continue;
    const key = `${effect}:${String(detail?.seq ?? '')}:${String(detail?.due ?? '')}`;
    if (detail?.phase === 'intent') calls.set(key, { at, phase: 'intent' });
    else if (calls.has(key)) calls.get(key)!.phase = detail?.phase;
  }
  const went = [...calls.values()].filter((call) => call.phase !== 'failed').map((call) => call.at).sort();
  return went.length > 0 ? new Date(went.at(-1)!) : undefined;
}
