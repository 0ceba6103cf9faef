// Per-mail attempt counts (see migration 0003). Each attempt is counted before it starts;
// an infrastructure failure — a busy or full disk, the network — takes its attempt back,
// so only failures of the mail's own processing (and crashes) count towards giving up.
import type { Db } from './open-database.ts';
import type { MessageKey } from './messages.ts';

/** `killed`: a process of ours killed from outside under the mail (the OOM killer): counted, at the higher limit of a daemon that died under it. */
export type FailureKind = 'infrastructure' | 'processing' | 'killed';

export interface AttemptRow {
  attempts: number;
  lastError: string | null;
  lastErrorKind: FailureKind | null;
}

/** Counts one more attempt and returns the row as it now stands. */
export function countAttempt(db: Db, key: MessageKey, now: Date): AttemptRow {
  db.prepare(`INSERT INTO message_attempts (mailbox, uid_validity, uid, attempts, updated_at) VALUES (?, ?, ?, 1, ?)
    ON CONFLICT DO UPDATE SET attempts = attempts + 1, updated_at = excluded.updated_at`).run(key.mailbox, key.place, key.uid, now.toISOString());
  const row = db.prepare('SELECT attempts, last_error, last_error_kind FROM message_attempts WHERE mailbox = ? AND uid_validity = ? AND uid = ?')
    .get(key.mailbox, key.place, key.uid) as { attempts: number; last_error: string | null; last_error_kind: FailureKind | null };
  return { attempts: row.attempts, lastError: row.last_error, lastErrorKind: row.last_error_kind };
}

/** Records how the attempt failed; an infrastructure failure takes its attempt back (it never counts). */
export function recordAttemptFailure(db: Db, key: MessageKey, error: string, kind: FailureKind, now: Date): void {
  const uncount = kind === 'infrastructure' ? 1 : 0;
  db.prepare(`UPDATE message_attempts SET attempts = max(0, attempts - ?), last_error = ?, last_error_kind = ?, updated_at = ?
    WHERE mailbox = ? AND uid_validity = ? AND uid = ?`)
    .run(uncount, error, kind, now.toISOString(), key.mailbox, key.place, key.uid);
}
