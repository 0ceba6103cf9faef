// The mail we have dealt with, keyed by mailbox + place + UID, with the Message-ID as a
// second key (a UIDVALIDITY change renumbers everything). The place (message-place.ts) is
// the folder's UIDVALIDITY qualified by account and folder; its column keeps the name
// `uid_validity` it had when it held the bare number. A row means "outcome
// committed"; `moved_at` says the mail has left the watched folder.
import type { Db } from './open-database.ts';

/** `notice`: a provider's mail about progress (Signicat's "order created"), kept for what it names, no trigger. */
/** `reply`: a reply to an acknowledgement that carried a command or was answered (conversation/). */
/** `bounce`: a bounce of a mail signrelay sent, recorded on its request (intake/process-bounce.ts). */
export type MessageOutcome = 'request' | 'rejected' | 'ignored' | 'duplicate' | 'completion' | 'notice' | 'unmatched' | 'reply' | 'bounce';

export interface MessageKey {
  mailbox: string;
  place: string;
  uid: number;
}

export interface MessageRow extends MessageKey {
  messageId: string | null;
  outcome: MessageOutcome;
  reason: string;
  folder: string;
  requestId: string | null;
  seenAt: string;
  movedAt: string | null;
}

export function findMessage(db: Db, key: MessageKey): MessageRow | undefined {
  const row = db.prepare('SELECT * FROM messages WHERE mailbox = ? AND uid_validity = ? AND uid = ?')
    .get(key.mailbox, key.place, key.uid) as Record<string, unknown> | undefined;
  return row ? toRow(row) : undefined;
}

/** The first outcome recorded for this Message-ID in this mailbox, if any. */
/** The first mail of this Message-ID that was not itself a duplicate; `unmatched` ones (which changed nothing) only when no other is. */
export function findMessageById(db: Db, mailbox: string, messageId: string): MessageRow | undefined {
  const row = db.prepare(`SELECT * FROM messages WHERE mailbox = ? AND message_id = ? AND outcome != 'duplicate'
    ORDER BY outcome = 'unmatched', seen_at LIMIT 1`).get(mailbox, messageId) as Record<string, unknown> | undefined;
  return row ? toRow(row) : undefined;
}

export function recordMessage(db: Db, row: Omit<MessageRow, 'seenAt' | 'movedAt'>, now: Date): void {
  db.prepare(`INSERT INTO messages (mailbox, uid_validity, uid, message_id, outcome, reason, folder, request_id, seen_at)
    VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)`).run(row.mailbox, row.place, row.uid, row.messageId, row.outcome,
    row.reason, row.folder, row.requestId, now.toISOString());
}

/** Records that the mail left its watched folder; returns its row (none when its outcome was never recorded). */
export function markMoved(db: Db, key: MessageKey, now: Date): MessageRow | undefined {
  const row = db.prepare('UPDATE messages SET moved_at = ? WHERE mailbox = ? AND uid_validity = ? AND uid = ? RETURNING *')
    .get(now.toISOString(), key.mailbox, key.place, key.uid) as Record<string, unknown> | undefined;
  return row ? toRow(row) : undefined;
}

/** The mails of one folder generation whose outcome is committed but whose move is not confirmed. */
export function listUnmoved(db: Db, mailbox: string, place: string): MessageRow[] {
  const rows = db.prepare('SELECT * FROM messages WHERE mailbox = ? AND uid_validity = ? AND moved_at IS NULL')
    .all(mailbox, place) as Array<Record<string, unknown>>;
  return rows.map(toRow);
}

/**
 * Rows recorded before mails were keyed by their place (account, folder and UIDVALIDITY:
 * mail/message-place.ts) get the place of the folder their mailbox watches now — where they
 * came from, unless the configuration changed during the upgrade. Run once per watcher at
 * start; rows keyed by place already are left alone.
 */
export function placeLegacyRows(db: Db, mailbox: string, prefix: string): number {
  return db.transaction(() => {
    let changed = 0;
    for (const table of ['messages', 'message_attempts']) {
      // A bare UIDVALIDITY is a number: its digits sort before "imap://", so the key's index
      // finds the old rows without reading every row of the mailbox at each start.
      changed += db.prepare(`UPDATE ${table} SET uid_validity = ? || uid_validity WHERE mailbox = ? AND uid_validity < 'imap://'`).run(prefix, mailbox).changes;
    }
    return changed;
  })();
}

export function countMessagesByOutcome(db: Db, mailbox: string): Record<string, number> {
  const rows = db.prepare('SELECT outcome, count(*) AS n FROM messages WHERE mailbox = ? GROUP BY outcome').all(mailbox) as Array<{ outcome: string; n: number }>;
  return Object.fromEntries(rows.map((r) => [r.outcome, r.n]));
}

function toRow(r: Record<string, unknown>): MessageRow {
  return {
    mailbox: r.mailbox as string,
    place: r.uid_validity as string,
    uid: r.uid as number,
    messageId: (r.message_id as string | null) ?? null,
    outcome: r.outcome as MessageOutcome,
    reason: r.reason as string,
    folder: r.folder as string,
    requestId: (r.request_id as string | null) ?? null,
    seenAt: r.seen_at as string,
    movedAt: (r.moved_at as string | null) ?? null,
  };
}
