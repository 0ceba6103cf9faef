// The mails signrelay sent, by Message-ID (migration 0020): recorded when a mail is queued
// (enqueueMail) or when the signed document is mailed to the instance, looked up when a
// bounce comes back naming one. Only a Message-ID recorded here is signrelay's: a bounce
// naming any other changes nothing (docs/request-mails.md, "Bounces of signrelay's mail").
import type { Db } from './open-database.ts';

export interface SentMail {
  messageId: string;
  purpose: string;
  requestId: string | null;
  recipients: string;
  createdAt: string;
  bouncedAt: string | null;
}

/** Records a mail about to go out. The same Message-ID again (a recipient refused for now, sent again as the same message) keeps its first row. */
export function recordSentMail(db: Db, mail: { messageId: string; purpose: string; requestId: string | null; recipients: string }, now: Date): void {
  db.prepare('INSERT OR IGNORE INTO sent_mails (message_id, purpose, request_id, recipients, created_at) VALUES (?, ?, ?, ?, ?)')
    .run(mail.messageId, mail.purpose, mail.requestId, mail.recipients, now.toISOString());
}

/** The first of these Message-IDs that names a mail signrelay sent, in the order given. */
export function findSentMail(db: Db, messageIds: readonly string[]): SentMail | undefined {
  const find = db.prepare('SELECT * FROM sent_mails WHERE message_id = ?');
  for (const id of messageIds) {
    const row = find.get(id) as Record<string, unknown> | undefined;
    if (row) {
      return {
        messageId: row.message_id as string, purpose: row.purpose as string, requestId: (row.request_id as string | null) ?? null,
        recipients: row.recipients as string, createdAt: row.created_at as string, bouncedAt: (row.bounced_at as string | null) ?? null,
      };
    }
  }
  return undefined;
}

/** Marks the mail bounced; true only for its first bounce (the one acted on: later ones, forged or not, change nothing). */
export function markBounced(db: Db, messageId: string, now: Date): boolean {
  return db.prepare('UPDATE sent_mails SET bounced_at = ? WHERE message_id = ? AND bounced_at IS NULL').run(now.toISOString(), messageId).changes > 0;
}

export interface AlertBounce {
  at: string;
  to: string;
  reason: string;
}

/** The latest bounce of an operator alert since `since`, with how many there were: the alert channel is broken. */
export function alertBouncesSince(db: Db, since: Date): { count: number; latest: AlertBounce | null } {
  const rows = db.prepare(`SELECT at, json_extract(detail, '$.to') AS "to", json_extract(detail, '$.reason') AS reason FROM events
    WHERE kind = 'mail' AND at >= ? AND json_extract(detail, '$.bounced') = 'alert'
      AND json_extract(detail, '$.verdict') = 'failed' ORDER BY id DESC`)
    .all(since.toISOString()) as Array<{ at: string; to: string | null; reason: string | null }>;
  const first = rows[0];
  return { count: rows.length, latest: first ? { at: first.at, to: first.to ?? '', reason: first.reason ?? '' } : null };
}
